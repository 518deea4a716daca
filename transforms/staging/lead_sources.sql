-- one row per lead source in pipedrive_raw.lead_sources (API v1; a name is all it has)
create or replace view pipedrive_staging.lead_sources as
with source as (
    select * from pipedrive_raw.lead_sources
),

renamed as (
    select
        name,
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
