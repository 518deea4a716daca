-- one row per change of a deal field in pipedrive_raw.deal_changes (the deals' changelogs, API v1)
create or replace view pipedrive_staging.deal_changes as
with source as (
    select * from pipedrive_raw.deal_changes
),

renamed as (
    select
        id as change_id,
        deal_id::bigint as deal_id,
        -- the changelog speaks v1: the owner is `user_id`, labels are `label`; field keys are v2's
        case field_key when 'user_id' then 'owner_id' when 'label' then 'label_ids' else field_key end
            as field_key,
        field_key as changelog_key,
        nullif(old_value, '') as old_value,
        nullif(new_value, '') as new_value,
        try_cast(actor_user_id as bigint) as actor_user_id,
        pipedrive_staging.utc_timestamp(time) as changed_at,
        change_source,
        coalesce(pipedrive_staging.flag(is_bulk_update_flag), false) as is_bulk_update
    from source
)

select * from renamed
