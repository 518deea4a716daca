-- one row per currency
create or replace view pipedrive.currencies as
select * exclude (_source_api) from pipedrive_staging.currencies
