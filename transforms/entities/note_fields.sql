-- one row per note field that is not deleted
create or replace view pipedrive.note_fields as
select * exclude (_source_api) from pipedrive_staging.note_fields
where not is_deleted
