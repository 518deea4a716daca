-- one row per product attached to a deal that is not deleted (removed products disappear from raw)
create or replace view pipedrive.deal_products as
select * exclude (_source_api) from pipedrive_staging.deal_products
where not is_deleted
