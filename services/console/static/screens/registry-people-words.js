// Words shared by the registry officer's screens: people, households and the duplicates' reasons.
import { addWords } from '/static/i18n.js';

addWords({
  en: {
    reg_p_name: 'Name', reg_p_sex: 'Sex', reg_p_relationship: 'Relationship', reg_p_birth: 'Birth date or age',
    reg_p_document: 'Document', reg_p_phone: 'Phone', reg_p_age: 'about {n} years', reg_p_number: 'Registration number',
    reg_p_area: 'Area', reg_p_size: 'People', reg_p_status: 'Status', reg_p_version: 'Version',
    reg_p_address: 'Address', reg_p_head: 'Head', reg_p_members: 'Members', reg_p_open: 'Open',
    reg_p_female: 'female', reg_p_male: 'male', reg_p_head_rel: 'head', reg_p_spouse: 'spouse or partner',
    reg_p_child: 'son or daughter', reg_p_grandchild: 'grandchild', reg_p_parent: 'mother or father',
    reg_p_sibling: 'brother or sister', reg_p_other_relative: 'other relative', reg_p_not_related: 'not related',
    reg_p_same_document: 'same document', reg_p_name_alike: 'name {n} alike', reg_p_birth_same: 'same birth date',
    reg_p_birth_close: 'birth date close', reg_p_km_apart: 'homes {n} km apart',
    reg_p_national_id: 'ID card', reg_p_birth_certificate: 'birth certificate', reg_p_passport: 'passport',
    reg_p_residence_permit: 'residence permit', reg_p_other: 'other document',
  },
  es: {
    reg_p_name: 'Nombre', reg_p_sex: 'Sexo', reg_p_relationship: 'Parentesco', reg_p_birth: 'Nacimiento o edad',
    reg_p_document: 'Documento', reg_p_phone: 'Teléfono', reg_p_age: 'unos {n} años', reg_p_number: 'Número de registro',
    reg_p_area: 'Área', reg_p_size: 'Personas', reg_p_status: 'Estado', reg_p_version: 'Versión',
    reg_p_address: 'Dirección', reg_p_head: 'Jefe/a', reg_p_members: 'Integrantes', reg_p_open: 'Abrir',
    reg_p_female: 'mujer', reg_p_male: 'hombre', reg_p_head_rel: 'jefe/a de hogar', reg_p_spouse: 'esposo/a o pareja',
    reg_p_child: 'hijo o hija', reg_p_grandchild: 'nieto o nieta', reg_p_parent: 'madre o padre',
    reg_p_sibling: 'hermano o hermana', reg_p_other_relative: 'otro pariente', reg_p_not_related: 'no pariente',
    reg_p_same_document: 'mismo documento', reg_p_name_alike: 'nombre {n} parecido', reg_p_birth_same: 'misma fecha de nacimiento',
    reg_p_birth_close: 'nacimiento cercano', reg_p_km_apart: 'viviendas a {n} km',
    reg_p_national_id: 'cédula', reg_p_birth_certificate: 'acta de nacimiento', reg_p_passport: 'pasaporte',
    reg_p_residence_permit: 'permiso de residencia', reg_p_other: 'otro documento',
  },
});
