-- one row per activity type that is not deleted
create or replace view pipedrive.activity_types as
select * exclude (_source_api) from pipedrive_staging.activity_types
where not is_deleted
