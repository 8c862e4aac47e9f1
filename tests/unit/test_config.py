import pytest

from services.settings import settings_for, variables_for
from shared.config import ConfigError, mask_url
from tests.samples import registry_keys


def test_defaults_are_usable(tmp_path):
    settings = settings_for("registry", {"AMPARO_DATA_DIR": str(tmp_path), **registry_keys()})
    assert settings.port == 8101
    assert settings.database_url == f"sqlite:///{tmp_path / 'registry.db'}"
    assert settings.kafka_bootstrap_servers == ("127.0.0.1:9092",)
    assert settings.max_poll_interval_ms <= 60000
    assert settings.jwks_url.startswith("file://")


def test_every_bad_variable_is_named_at_once():
    with pytest.raises(ConfigError) as caught:
        settings_for(
            "alerts",
            {
                "AMPARO_ALERTS_PORT": "eighty",
                "AMPARO_CONSUMER_MAX_POLL_INTERVAL_MS": "300000",
                "AMPARO_ALERTS_DATABASE_URL": "mysql://x",
                "AMPARO_KAFKA_BOOTSTRAP_SERVERS": "nohostport",
                "AMPARO_LOG_LEVEL": "LOUD",
                "AMPARO_JWKS_URL": "ftp://keys",
            },
        )
    text = str(caught.value)
    for name in (
        "AMPARO_ALERTS_PORT",
        "AMPARO_CONSUMER_MAX_POLL_INTERVAL_MS",
        "AMPARO_ALERTS_DATABASE_URL",
        "AMPARO_KAFKA_BOOTSTRAP_SERVERS",
        "AMPARO_LOG_LEVEL",
        "AMPARO_JWKS_URL",
    ):
        assert name in text
    assert len(caught.value.problems) == 6


def test_passwords_never_shown():
    settings = settings_for(
        "transfers", {"AMPARO_TRANSFERS_DATABASE_URL": "postgresql://amparo:s3cret@db/transfers"}
    )
    assert settings.database_url == "postgresql+psycopg://amparo:s3cret@db/transfers"
    assert "s3cret" not in repr(settings)
    assert mask_url("postgresql://u:p@h/d") == "postgresql://u:***@h/d"


def test_unknown_service_refused():
    with pytest.raises(ConfigError, match="unknown service"):
        settings_for("payments", {})


def test_every_variable_is_documented():
    names = {v.name for v in variables_for("registry")}
    assert {"AMPARO_REGISTRY_DATABASE_URL", "AMPARO_KAFKA_BOOTSTRAP_SERVERS", "AMPARO_JWKS_URL"} <= names


def test_registry_secrets_are_required_and_may_come_from_files(tmp_path):
    with pytest.raises(ConfigError) as caught:
        settings_for("registry", {})
    assert "AMPARO_REGISTRY_ENCRYPTION_KEY is required" in str(caught.value)
    keys = registry_keys()
    (tmp_path / "enc").write_text(keys["AMPARO_REGISTRY_ENCRYPTION_KEY"] + "\n")
    settings = settings_for(
        "registry",
        {
            "AMPARO_REGISTRY_ENCRYPTION_KEY_FILE": str(tmp_path / "enc"),
            "AMPARO_REGISTRY_HASHING_KEY": keys["AMPARO_REGISTRY_HASHING_KEY"],
        },
    )
    assert settings.secrets["AMPARO_REGISTRY_ENCRYPTION_KEY"] == keys["AMPARO_REGISTRY_ENCRYPTION_KEY"]
    assert keys["AMPARO_REGISTRY_HASHING_KEY"] not in repr(settings)
    with pytest.raises(ConfigError, match="cannot be read"):
        settings_for("registry", {"AMPARO_REGISTRY_ENCRYPTION_KEY_FILE": str(tmp_path / "nope")})
