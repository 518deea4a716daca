-- one row per currency that is not deleted
create or replace view pipedrive.currencies as
select * exclude (_source_api) from pipedrive_staging.currencies
where not is_deleted
