-- one row per file (its metadata) that is not deleted
create or replace view pipedrive.files as
select * exclude (_source_api) from pipedrive_staging.files
where not is_deleted
