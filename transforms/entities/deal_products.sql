-- one row per product attached to a deal (the sync removes detached products from raw)
create or replace view pipedrive.deal_products as
select * exclude (_source_api) from pipedrive_staging.deal_products
