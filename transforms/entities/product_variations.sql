-- one row per variation of a product that is not deleted
create or replace view pipedrive.product_variations as
select * exclude (_source_api) from pipedrive_staging.product_variations
where not is_deleted
