-- one row per user in pipedrive_raw.users (API v1 only: `created`/`modified` instead of add/update time)
create or replace view pipedrive_staging.users as
with source as (
    select * from pipedrive_raw.users
),

renamed as (
    select
        id::bigint as id,
        name,
        email,
        lang::varchar as lang,
        locale,
        timezone_name,
        default_currency,
        try_cast(role_id as bigint) as role_id,
        pipedrive_staging.flag(is_admin) as is_admin,
        coalesce(pipedrive_staging.flag(active_flag), true) as is_active,
        pipedrive_staging.utc_timestamp(created) as add_time,
        pipedrive_staging.utc_timestamp(modified) as update_time,
        pipedrive_staging.utc_timestamp(last_login) as last_login_time,
        -- the sync flags rows that vanished upstream
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
