"""THE map of what the transforms read: every raw table a staging view reads, the raw columns it
reads, and which field entity's custom fields its records carry. Data only; `raw_relations.py`
and `custom_fields.py` generate SQL from it, `runner.py` and `marts/field_dictionary.sql` follow it.

Adding an entity: one `RawTable` here, `staging/<name>.sql` (renames and casts, reading
`pipedrive_raw.<name>`) and, for a readable view, `entities/<name>.sql` (or `custom_fields` here,
which gives it `pipedrive.<name>_all` and `pipedrive.<name>` with every custom field as a column).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.run_log import RUN_COLUMNS, RUNS_TABLE


def text_columns(names: str) -> dict[str, str]:
    """Raw columns read as text (staging casts them): the API's JSON types vary between v1 and v2."""
    return dict.fromkeys(names.split(), "varchar")


@dataclass(frozen=True)
class RawTable:
    name: str
    # column -> SQL type: every raw column the staging view reads. One that raw lacks (its values
    # were all null, so dlt never created it) reads as null; a missing table reads as empty.
    columns: dict[str, str]
    custom_fields: str | None = None  # the field entity whose custom fields its records carry


FIELD_ENTITIES = (
    "deal_fields", "person_fields", "organization_fields", "product_fields", "activity_fields",
    "project_fields",
)  # fmt: skip
FIELD_COLUMNS = text_columns(
    "field_code field_name field_type options subfields is_custom_field description is_deleted"
)
# dlt column types of the sync's own tables -> DuckDB types
DLT_TYPES = {"text": "varchar", "timestamp": "timestamptz", "bigint": "bigint", "bool": "boolean"}

RAW_TABLES: tuple[RawTable, ...] = (
    RawTable(
        "deals",
        text_columns(
            "id title owner_id user_id person_id org_id pipeline_id stage_id value currency status"
            " probability lost_reason visible_to label_ids label origin channel source_lead_id"
            " expected_close_date add_time update_time stage_change_time close_time won_time lost_time"
            " arr mrr acv is_deleted deleted is_archived _archived custom_fields _source_api _extracted_at"
        ),
        custom_fields="deal_fields",
    ),
    RawTable(
        "leads",
        text_columns(
            "id title owner_id creator_id person_id organization_id label_ids value expected_close_date"
            " source_name origin channel was_seen is_archived _archived visible_to add_time update_time"
            " is_deleted custom_fields _source_api _extracted_at"
        ),
        custom_fields="deal_fields",  # leads carry the deal fields
    ),
    RawTable(
        "persons",
        text_columns(
            "id name first_name last_name owner_id org_id emails email phones phone label_ids visible_to"
            " job_title birthday add_time update_time is_deleted active_flag custom_fields _source_api"
            " _extracted_at"
        ),
        custom_fields="person_fields",
    ),
    RawTable(
        "organizations",
        text_columns(
            "id name owner_id address address_formatted_address label_ids visible_to add_time update_time"
            " is_deleted active_flag custom_fields _source_api _extracted_at"
        ),
        custom_fields="organization_fields",
    ),
    RawTable(
        "products",
        text_columns(
            "id name code description unit tax category owner_id is_linkable selectable visible_to prices"
            " billing_frequency add_time update_time is_deleted active_flag custom_fields _source_api"
            " _extracted_at"
        ),
        custom_fields="product_fields",
    ),
    RawTable(
        "activities",
        text_columns(
            "id subject type owner_id user_id creator_user_id created_by_user_id deal_id lead_id person_id"
            " org_id due_date due_time duration busy busy_flag done marked_as_done_time note priority"
            " add_time update_time is_deleted active_flag custom_fields _source_api _extracted_at"
        ),
        custom_fields="activity_fields",
    ),
    RawTable(
        "pipelines",
        text_columns(
            "id name order_nr is_deal_probability_enabled deal_probability add_time update_time is_deleted"
            " active _source_api"
        ),
    ),
    RawTable(
        "stages",
        text_columns(
            "id name order_nr pipeline_id deal_probability is_deal_rot_enabled rotten_flag days_to_rotten"
            " rotten_days add_time update_time is_deleted active_flag _source_api"
        ),
    ),
    RawTable(
        "users",
        text_columns(
            "id name email lang locale timezone_name default_currency role_id is_admin active_flag created"
            " modified last_login is_deleted _source_api"
        ),
    ),
    RawTable(
        "notes",
        text_columns(
            "id content user_id deal_id person_id org_id lead_id pinned_to_deal_flag add_time update_time"
            " active_flag is_deleted _source_api"
        ),
    ),
    RawTable(
        "activity_types",
        text_columns(
            "id name key_string icon_key color order_nr is_custom_flag active_flag add_time update_time"
            " is_deleted _source_api"
        ),
    ),
    RawTable(
        "currencies",
        text_columns("id code name symbol decimal_points is_custom_flag active_flag is_deleted _source_api"),
    ),
    RawTable("lead_labels", text_columns("id name color add_time update_time is_deleted _source_api")),
    RawTable(
        "deal_products",
        text_columns(
            "id deal_id product_id product_variation_id name order_nr item_price quantity discount"
            " discount_type tax tax_method sum currency comments is_enabled enabled_flag billing_frequency"
            " billing_frequency_cycles billing_start_date add_time update_time is_deleted _source_api"
        ),
    ),
    RawTable(
        "deal_snapshots",
        text_columns(
            "id stage_id pipeline_id status value currency update_time is_deleted _archived _extracted_at"
        ),
    ),
    RawTable(
        "projects",
        text_columns(
            "id title description status board_id phase_id owner_id start_date end_date deal_ids"
            " person_ids org_ids label_ids health_status add_time update_time status_change_time"
            " archive_time _archived is_deleted custom_fields _source_api _extracted_at"
        ),
        custom_fields="project_fields",
    ),
    RawTable(
        "tasks",
        text_columns(
            "id title description creator_id project_id is_done is_milestone due_date start_date"
            " parent_task_id assignee_ids priority add_time update_time marked_as_done_time is_deleted"
            " _source_api"
        ),
    ),
    RawTable("boards", text_columns("id name order_nr add_time update_time is_deleted _source_api")),
    RawTable("phases", text_columns("id name board_id order_nr add_time update_time is_deleted _source_api")),
    RawTable("deal_installments", text_columns("id deal_id amount billing_date is_deleted _source_api")),
    RawTable("product_variations", text_columns("id product_id name prices is_deleted _source_api")),
    RawTable(
        "call_logs",
        text_columns(
            "id activity_id person_id org_id deal_id lead_id user_id subject duration outcome"
            " from_phone_number to_phone_number has_recording start_time end_time note is_deleted"
            " _source_api"
        ),
    ),
    RawTable(
        "goals",
        text_columns(
            "id title owner_id type assignee interval duration expected_outcome is_active report_ids"
            " is_deleted _source_api"
        ),
    ),
    RawTable("lead_sources", text_columns("name is_deleted _source_api")),
    RawTable(
        "files",
        text_columns(
            "id user_id deal_id person_id org_id product_id activity_id lead_id name file_name file_type"
            " file_size description remote_location url deal_name person_name org_name product_name"
            " lead_name inline_flag active_flag add_time update_time is_deleted _source_api"
        ),
    ),
    RawTable(
        "filters",
        text_columns(
            "id name type user_id visible_to is_editable temporary_flag custom_view_id last_used_time"
            " active_flag add_time update_time is_deleted _source_api"
        ),
    ),
    RawTable(
        "note_fields",
        text_columns(
            "id key name field_type options active_flag edit_flag mandatory_flag bulk_edit_allowed"
            " is_deleted _source_api"
        ),
    ),
    RawTable(
        "deal_participants",
        text_columns("id deal_id person_id added_by_user_id add_time active_flag is_deleted _source_api"),
    ),
    RawTable("deal_followers", text_columns("deal_id user_id add_time is_deleted _source_api")),
    RawTable(
        "deal_changes",
        text_columns(
            "id deal_id field_key old_value new_value actor_user_id time change_source is_bulk_update_flag"
        ),
    ),
    RawTable("deal_history_reads", text_columns("deal_id deal_update_time _extracted_at")),
    RawTable(RUNS_TABLE, {name: DLT_TYPES[hint["data_type"]] for name, hint in RUN_COLUMNS.items()}),
    *(RawTable(field_entity, FIELD_COLUMNS) for field_entity in FIELD_ENTITIES),
)

RAW_TABLE_BY_NAME = {table.name: table for table in RAW_TABLES}
# record entity -> the field entity whose custom fields it carries
ENTITY_FIELDS = {table.name: table.custom_fields for table in RAW_TABLES if table.custom_fields}
