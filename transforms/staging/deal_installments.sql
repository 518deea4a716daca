-- one row per installment of a deal in pipedrive_raw.deal_installments (API v2)
create or replace view pipedrive_staging.deal_installments as
with source as (
    select * from pipedrive_raw.deal_installments
),

renamed as (
    select
        id::bigint as id,
        pipedrive_staging.ref_id(deal_id) as deal_id,
        try_cast(amount as double) as amount,
        try_cast(billing_date as date) as billing_date,
        coalesce(pipedrive_staging.flag(is_deleted), false) as is_deleted,
        _source_api
    from source
)

select * from renamed
