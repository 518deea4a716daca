-- one row per person in pipedrive_raw.persons (deleted included), v1 and v2 rows alike
create or replace view pipedrive_staging.persons as
with source as (
    select * from pipedrive_raw.persons
),

renamed as (
    select
        id::bigint as id,
        name,
        first_name,
        last_name,
        pipedrive_staging.ref_id(owner_id) as owner_id,
        pipedrive_staging.ref_id(org_id) as org_id,
        -- v2 `emails`, v1 `email`: both a JSON list of {label, value, primary}
        from_json(coalesce(emails, email), '[{"label": "VARCHAR", "value": "VARCHAR", "primary": "BOOLEAN"}]')
            as emails,
        from_json(coalesce(phones, phone), '[{"label": "VARCHAR", "value": "VARCHAR", "primary": "BOOLEAN"}]')
            as phones,
        json_extract_string(coalesce(emails, email), '$[0].value') as primary_email,
        json_extract_string(coalesce(phones, phone), '$[0].value') as primary_phone,
        pipedrive_staging.id_list(label_ids) as label_ids,
        try_cast(visible_to as integer) as visible_to,
        job_title,
        try_cast(birthday as date) as birthday,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        coalesce(pipedrive_staging.flag(is_deleted), not pipedrive_staging.flag(active_flag), false) as is_deleted,
        custom_fields,
        _source_api,
        -- when the sync wrote the row: lets the entity tables refresh only what changed
        try_cast(_extracted_at as timestamptz) as _extracted_at
    from source
)

select * from renamed
