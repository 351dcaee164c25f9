"""JSON Schema of an SOP file (keys in English, content in Indonesian). sop_definitions/README.md explains each key."""

from typing import Any

DURATION_PATTERN = r"^[1-9][0-9]*(m|h|d)$"
STEP_ID_PATTERN = r"^[a-z](?:_?[a-z0-9])*$"  # no double underscore: the compiler uses it for gateways
ROLE_CODE_PATTERN = r"^[A-Z][A-Z0-9_]{1,15}$"
FIELD_TYPES = ["text", "textarea", "lines", "integer", "date", "datetime", "choice", "multichoice", "boolean",
               "position", "positions", "instructions"]
LIST_FIELD_TYPES = ("lines", "multichoice", "positions", "instructions")
POSITION_FIELD_TYPES = ("position", "positions")
# What each part of a step's disposition block must point at: the types its field may have.
DISPOSITION_PARTS = {"to": POSITION_FIELD_TYPES, "instructions": ("instructions",), "note": ("text", "textarea"),
                     "due": ("date",)}
SERVICE_AREAS = ["administrasi_umum", "kerumahtanggaan", "aset_bmd"]
OUTCOMES = ["resolved", "rejected", "cancelled"]
# What a step tells the requester when the case reaches it (see cases/requesters.py); the end of a case, its
# rejection and a missed time standard are told without any key.
REQUESTER_NOTICES = ["approved", "ready"]
DERAJAT_KEYS = ["biasa", "segera", "sangat_segera"]
# Field names that fill a column of the case instead of its data; choice fields among them take the model's choices.
CASE_COLUMNS = {
    "subject": "text",
    "requester_name": "text",
    "nomor_agenda": "text",
    "derajat": "choice",
    "tingkat_keamanan": "choice",
}

NAME_MAX_LENGTH = 60  # step ids and field names are stored in columns of 64 characters (audit step, attachment kind)
RETENTION_FINAL = ["musnah", "permanen", "dinilai_kembali"]

_text = {"type": "string", "minLength": 1}
_name = {"type": "string", "pattern": STEP_ID_PATTERN, "maxLength": NAME_MAX_LENGTH}
_text_list = {"type": "array", "items": _text}
_date = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}

_choice = {
    "oneOf": [
        _text,
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["value", "label"],
            "properties": {"value": _text, "label": _text},
        },
    ]
}

_field = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "label", "type"],
    "properties": {
        "name": _name,
        "label": _text,
        "type": {"enum": FIELD_TYPES},
        "required": {"type": "boolean"},
        "required_for": {"type": "array", "items": _text, "minItems": 1},
        "choices": {"type": "array", "items": _choice, "minItems": 1},
        "max_length": {"type": "integer", "minimum": 1, "maximum": 10000},
        "help": _text,
    },
}

_attachment = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "label"],
    "properties": {
        "name": _name,
        "label": _text,
        "required": {"type": "boolean"},
    },
}

_kelengkapan = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "documents": _text_list,
        "fields": {"type": "array", "items": _field},
        "attachments": {"type": "array", "items": _attachment},
    },
}

_duration = {"type": "string"}  # checked by the linter, which gives a clearer message than a regex mismatch

_waktu = {
    "oneOf": [
        _duration,
        {
            "type": "object",
            "additionalProperties": False,
            "required": DERAJAT_KEYS,
            "properties": {key: _duration for key in DERAJAT_KEYS},
        },
    ]
}

_escalation_level = {
    "type": "object",
    "additionalProperties": False,
    "required": ["at_percent", "to"],
    "properties": {
        "at_percent": {"type": "integer", "minimum": 1, "maximum": 1000},
        "or_after": _duration,
        "to": _text,
    },
}

_escalation = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "warn_at_percent": {"type": "integer", "minimum": 1, "maximum": 99},
        "levels": {"type": "array", "items": _escalation_level, "minItems": 1},
        "note": _text,
    },
}

_branch = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "label", "next"],
    "properties": {
        "key": _name,
        "label": _text,
        "next": _text,
    },
}

_step = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "kegiatan"],
    "properties": {
        "id": _name,
        "no": {"type": "integer", "minimum": 1},
        "type": {"enum": ["task", "pause", "subcase", "end"]},
        "actor": _text,
        "kegiatan": _text,
        "kelengkapan": _kelengkapan,
        "waktu": _waktu,
        "waktu_estimate": {"type": "boolean"},
        "waktu_text": _text,
        "output": _text,
        "keterangan": _text,
        "waiting_on": _text,
        "outcome": {"enum": OUTCOMES},
        "next": _text,
        "decision": {
            "type": "object",
            "additionalProperties": False,
            "required": ["question", "branches"],
            "properties": {
                "question": _text,
                "branches": {"type": "array", "items": _branch},
            },
        },
        "escalation": _escalation,
        "approval": {"type": "boolean"},
        "notify_requester": {"enum": REQUESTER_NOTICES},
        "disposition": {
            "type": "object",
            "additionalProperties": False,
            "required": ["to"],
            "properties": {part: {"type": "string", "pattern": STEP_ID_PATTERN} for part in DISPOSITION_PARTS},
        },
        "due_from_disposition": {"type": "boolean"},
        "subcase": {
            "type": "object",
            "additionalProperties": False,
            "required": ["sop", "wait"],
            "properties": {
                "sop": {"type": "string", "pattern": r"^BU-[A-Z]{2,3}-[0-9]{2}$"},
                "wait": {"type": "boolean"},
                "for_each": _name,
                "item_field": _name,
                "carry": {"type": "array", "items": _name},
            },
        },
    },
}

_role = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": _text,
        "resolve": {"enum": ["org", "requester", "field", "unit_head"]},
        "field": _name,
    },
}

SOP_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["code", "revision", "title", "service_area", "identity", "owner_role", "roles", "intake", "start",
                 "steps"],
    "properties": {
        "code": {"type": "string", "pattern": r"^BU-[A-Z]{2,3}-[0-9]{2}$"},
        "revision": {"type": "integer", "minimum": 0, "maximum": 1000000},
        "title": {"type": "string", "minLength": 1, "maxLength": 300},
        "service_area": {"enum": SERVICE_AREAS},
        "purpose": _text,
        "identity": {
            "type": "object",
            "additionalProperties": False,
            "required": ["nomor", "tanggal_pembuatan", "tanggal_efektif", "disahkan_oleh", "dasar_hukum"],
            "properties": {
                "nomor": _text,
                "tanggal_pembuatan": _date,
                "tanggal_revisi": _date,
                "tanggal_efektif": _date,
                "disahkan_oleh": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["jabatan"],
                    "properties": {"jabatan": _text, "nama": _text, "nip": {"type": "string", "pattern": r"^\d{18}$"}},
                },
                "dasar_hukum": _text_list,
                "kualifikasi_pelaksana": _text_list,
                "keterkaitan": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["sop", "keterangan"],
                        "properties": {"sop": _text, "keterangan": _text},
                    },
                },
                "peralatan": _text_list,
                "peringatan": _text_list,
                "pencatatan": _text_list,
            },
        },
        "owner_role": _text,
        "roles": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": ROLE_CODE_PATTERN},
            "additionalProperties": _role,
        },
        "intake": {
            "type": "object",
            "additionalProperties": False,
            "required": ["roles"],
            "properties": {
                "roles": {"type": "array", "items": _text, "minItems": 1},
                "open_to_requesters": {"type": "boolean"},
                "kelengkapan": _kelengkapan,
            },
        },
        "start": _text,
        "steps": {"type": "array", "items": _step, "minItems": 1},
        "documents": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "title", "template", "from_step"],
                "properties": {
                    "id": {"type": "string", "pattern": STEP_ID_PATTERN},
                    "title": _text,
                    "template": {"type": "string", "pattern": r"^[a-z0-9_]+(/[a-z0-9_]+)*\.html$"},
                    "from_step": _text,
                    "signed_by": {"type": "array", "items": _text, "minItems": 1},
                    "numbering": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["kind", "kka"],
                        "properties": {"kind": {"type": "string", "pattern": STEP_ID_PATTERN}, "kka": _text},
                    },
                },
            },
        },
        "escalation": _escalation,
        # Jadwal retensi arsip (JRA): how long a finished case stays in the active file, then in the inactive
        # archive, and what happens at the end. Counted from the day the case finished.
        "retention": {
            "type": "object",
            "additionalProperties": False,
            "required": ["active_years", "inactive_years", "final"],
            "properties": {
                "active_years": {"type": "integer", "minimum": 0, "maximum": 100},
                "inactive_years": {"type": "integer", "minimum": 0, "maximum": 100},
                "final": {"enum": RETENTION_FINAL},
                "basis": _text,
            },
        },
        "skm": {"type": "boolean"},
        "case_deadline": {
            "oneOf": [
                {"enum": ["derajat"]},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["field"],
                    "properties": {"field": _name},
                },
            ]
        },
    },
}
