-- one row per project task that is not deleted
create or replace view pipedrive.tasks as
select * exclude (_source_api) from pipedrive_staging.tasks
where not is_deleted
