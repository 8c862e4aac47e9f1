"""Reading footprints: GeoTIFF rasters in any CRS (rasterio), sampled at household points by
vectorised affine index lookups after reprojecting the points (never the raster)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from pyproj import Transformer
from rasterio.crs import CRS
from rasterio.errors import CRSError, RasterioIOError
from rasterio.io import MemoryFile

from services.alerts.domain.footprints import FootprintError
from shared.errors import FieldProblem

#: The raster formats read: each a single self-contained file. Formats that point at other files
#: or at web addresses (a GDAL VRT, WMS or STAC description) are never opened, so an upload
#: cannot make the service read its own disk or call another server.
#: What a gzip-compressed raster may unpack to.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
RASTER_DRIVERS = ("GTiff", "COG", "GSBG", "GSAG", "GS7BG", "AAIGrid", "HFA", "GRIB", "netCDF", "XYZ")


@dataclass(frozen=True)
class Raster:
    """A raster's first band, read once (NaN on nodata), world → pixel coefficients, and its CRS."""

    values: np.ndarray
    to_pixel: tuple[float, float, float, float, float, float]
    crs: CRS

    def sample(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Values at points already in the raster's CRS; NaN outside it or on nodata."""
        a, b, c, d, e, f = self.to_pixel
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        cols = a * x + b * y + c
        rows = d * x + e * y + f
        height, width = self.values.shape
        # NaN coordinates fail every comparison, so they fall outside; inside, truncation is floor.
        inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
        sampled = np.full(len(x), np.nan)
        sampled[inside] = self.values[rows[inside].astype(np.intp), cols[inside].astype(np.intp)]
        return sampled

    def extent(self) -> tuple[float, float, float, float]:
        """The raster's extent in WGS 84 (west, south, east, north), its edges followed in steps so
        a projected raster's curved edges are held."""
        a, b, c, d, e, f = self.to_pixel
        height, width = self.values.shape
        det = a * e - b * d
        steps = np.linspace(0, 1, 33)
        cols = np.concatenate([steps * width, np.full(33, width), steps * width, np.zeros(33)])
        rows = np.concatenate([np.zeros(33), steps * height, np.full(33, height), steps * height])
        # pixel → world: the inverse of the world → pixel coefficients
        x = (e * (cols - c) - b * (rows - f)) / det
        y = (a * (rows - f) - d * (cols - c)) / det
        lon, lat = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True).transform(x, y)
        return float(np.nanmin(lon)), float(np.nanmin(lat)), float(np.nanmax(lon)), float(np.nanmax(lat))

    def project(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WGS 84 points in the raster's CRS (the points move, never the raster)."""
        x, y = Transformer.from_crs("EPSG:4326", self.crs, always_xy=True).transform(lon, lat)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def read_raster(raw: bytes, declared_crs: str | None = None) -> Raster:
    """Read a raster's first band (gzip-compressed too). A raster that declares no CRS is read in
    ``declared_crs`` when the operator gives one, and refused otherwise.

    :raise FootprintError: not a raster, or a raster without a CRS.
    """
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(raw)
    try:
        with MemoryFile(raw) as memory, memory.open(driver=list(RASTER_DRIVERS)) as dataset:
            crs = dataset.crs
            if crs is None and declared_crs:
                try:
                    crs = CRS.from_string(declared_crs)
                except CRSError as exc:
                    raise FootprintError(
                        f"crs {declared_crs!r} is not a CRS: {exc}",
                        errors=[FieldProblem("/query/crs", "unknown CRS")],
                    ) from exc
            if crs is None:
                raise FootprintError(
                    "the raster declares no CRS; give it one (e.g. crs=EPSG:4326) or add it to the file",
                    errors=[FieldProblem("/file", "no CRS")],
                )
            a, b, c, d, e, f = (~dataset.transform)[:6]  # world → pixel, as plain coefficients
            band = dataset.read(1, masked=True)
            exact = band.dtype.kind == "f" or band.dtype.itemsize <= 2  # float32 holds them exactly
            values = band.astype(
                band.dtype if band.dtype.kind == "f" else np.float32 if exact else np.float64
            )
            return Raster(np.ma.filled(values, np.nan), (a, b, c, d, e, f), crs)
    except RasterioIOError as exc:
        raise FootprintError(
            f"not a readable raster ({', '.join(RASTER_DRIVERS)}): {exc}",
            errors=[FieldProblem("/file", "unreadable")],
        ) from exc


def _gunzip(raw: bytes) -> bytes:
    """Decompress every gzip member of ``raw``, refusing to grow past :data:`MAX_UNPACKED_BYTES`."""
    out = bytearray()
    while raw:
        stream = zlib.decompressobj(wbits=31)
        try:
            out += stream.decompress(raw, MAX_UNPACKED_BYTES + 1 - len(out))
        except zlib.error as exc:
            raise FootprintError(
                f"a broken gzip stream: {exc}", errors=[FieldProblem("/file", "bad gzip")]
            ) from exc
        if len(out) > MAX_UNPACKED_BYTES:
            raise FootprintError(
                f"the raster unpacks to over {MAX_UNPACKED_BYTES:,} bytes, which is refused",
                errors=[FieldProblem("/file", "too large unpacked")],
            )
        if not stream.eof:
            raise FootprintError(
                "a broken gzip stream: it ends early", errors=[FieldProblem("/file", "bad gzip")]
            )
        raw = stream.unused_data
    return bytes(out)


def sample_raster(
    raw: bytes, lon: np.ndarray, lat: np.ndarray, declared_crs: str | None = None
) -> tuple[np.ndarray, str]:
    """The raster's first band at each (lon, lat); NaN outside the raster or on nodata.

    :raise FootprintError: not a raster, or a raster without a CRS.
    :return: the values, and the CRS used, as text.
    """
    raster = read_raster(raw, declared_crs)
    return raster.sample(*raster.project(lon, lat)), raster.crs.to_string()
