-- one row per saved filter that is not deleted
create or replace view pipedrive.filters as
select * exclude (_source_api) from pipedrive_staging.filters
where not is_deleted
