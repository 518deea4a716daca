-- one row per activity type
create or replace view pipedrive.activity_types as
select * exclude (_source_api) from pipedrive_staging.activity_types
