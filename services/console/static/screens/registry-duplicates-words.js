// Words of the registry officer's duplicate queue.
import { addWords } from '/static/i18n.js';

addWords({
  en: {
    reg_dup_tab: 'Duplicates', reg_dup_queue: 'Probable duplicates to decide', reg_dup_none: 'No probable duplicate waiting.',
    reg_dup_score: 'Score', reg_dup_reasons: 'Reasons', reg_dup_areas: 'Areas', reg_dup_review: 'Compare',
    reg_dup_pair: 'Pair', reg_dup_first: 'Household A', reg_dup_second: 'Household B',
    reg_dup_distance: 'Distance between the homes', reg_dup_no_place: 'unknown', reg_dup_km: '{n} km',
    reg_dup_decision: 'Decision', reg_dup_merge: 'Merge: they are the same household',
    reg_dup_dismiss: 'Not a duplicate', reg_dup_remove: 'Remove a person from one household',
    reg_dup_keep: 'Household that stays', reg_dup_choose: 'The other household’s people',
    reg_dup_stays: 'stays behind (not kept)', reg_dup_moves: 'moves in', reg_dup_same: 'is the same person as {n}',
    reg_dup_leaves: 'Household the person leaves', reg_dup_who_leaves: 'Who leaves it',
    reg_dup_new_head: 'New head (if the head leaves)', reg_dup_nobody: '—', reg_dup_comment: 'Comment',
    reg_dup_decide: 'Record the decision', reg_dup_done: 'Decided: {n}', reg_dup_marked: '≈ marks the person the pair is about.',
    reg_dup_merged: 'merged', reg_dup_dismissed: 'not a duplicate', reg_dup_members_removed: 'person removed',
  },
  es: {
    reg_dup_tab: 'Duplicados', reg_dup_queue: 'Posibles duplicados por decidir', reg_dup_none: 'No hay posibles duplicados pendientes.',
    reg_dup_score: 'Puntaje', reg_dup_reasons: 'Motivos', reg_dup_areas: 'Áreas', reg_dup_review: 'Comparar',
    reg_dup_pair: 'Par', reg_dup_first: 'Hogar A', reg_dup_second: 'Hogar B',
    reg_dup_distance: 'Distancia entre las viviendas', reg_dup_no_place: 'desconocida', reg_dup_km: '{n} km',
    reg_dup_decision: 'Decisión', reg_dup_merge: 'Fusionar: son el mismo hogar',
    reg_dup_dismiss: 'No es un duplicado', reg_dup_remove: 'Quitar a una persona de un hogar',
    reg_dup_keep: 'Hogar que se mantiene', reg_dup_choose: 'Las personas del otro hogar',
    reg_dup_stays: 'se queda (no se mantiene)', reg_dup_moves: 'se muda', reg_dup_same: 'es la misma persona que {n}',
    reg_dup_leaves: 'Hogar que la persona deja', reg_dup_who_leaves: 'Quién lo deja',
    reg_dup_new_head: 'Nueva jefatura (si sale el jefe/a)', reg_dup_nobody: '—', reg_dup_comment: 'Comentario',
    reg_dup_decide: 'Registrar la decisión', reg_dup_done: 'Decidido: {n}', reg_dup_marked: '≈ marca a la persona del par.',
    reg_dup_merged: 'fusionados', reg_dup_dismissed: 'no es duplicado', reg_dup_members_removed: 'persona quitada',
  },
});
