-- one row per lead in pipedrive_raw.leads (API v1 only; archived leads included, flagged)
create or replace view pipedrive_staging.leads as
with source as (
    select * from pipedrive_raw.leads
),

renamed as (
    select
        id::varchar as id,
        title,
        pipedrive_staging.ref_id(owner_id) as owner_id,
        pipedrive_staging.ref_id(creator_id) as creator_user_id,
        pipedrive_staging.ref_id(person_id) as person_id,
        pipedrive_staging.ref_id(organization_id) as org_id,
        from_json(label_ids, '["VARCHAR"]') as label_ids,
        -- the lead's value is an object {amount, currency}
        try_cast(value ->> 'amount' as double) as value,
        value ->> 'currency' as currency,
        try_cast(expected_close_date as date) as expected_close_date,
        source_name,
        origin,
        try_cast(channel as bigint) as channel,
        pipedrive_staging.flag(was_seen) as was_seen,
        coalesce(pipedrive_staging.flag(coalesce(_archived, is_archived)), false) as is_archived,
        try_cast(visible_to as integer) as visible_to,
        pipedrive_staging.utc_timestamp(add_time) as add_time,
        pipedrive_staging.utc_timestamp(update_time) as update_time,
        -- the sync flags leads that vanished upstream
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        custom_fields,
        _source_api,
        -- when the sync wrote the row: lets the entity tables refresh only what changed
        try_cast(_extracted_at as timestamptz) as _extracted_at
    from source
)

select * from renamed
