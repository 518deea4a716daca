-- one row per note that is not deleted
create or replace view pipedrive.notes as
select * exclude (_source_api) from pipedrive_staging.notes
where not is_deleted
