-- one row per user in pipedrive_raw.users (API v1 only: `created`/`modified` instead of add/update time)
create or replace view pipedrive_staging.users as
with expected_columns as (
    select
        null::varchar as id, null::varchar as name, null::varchar as email, null::varchar as lang,
        null::varchar as locale, null::varchar as timezone_name, null::varchar as default_currency,
        null::varchar as role_id, null::varchar as is_admin, null::varchar as active_flag,
        null::varchar as created, null::varchar as modified, null::varchar as last_login,
        null::varchar as is_deleted, null::varchar as _source_api
    where false
),

source as (
    select * from expected_columns
    union all by name
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
