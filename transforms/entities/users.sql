-- one row per user (active and deactivated: users are never deleted, only deactivated)
create or replace view pipedrive.users as
select * exclude (_source_api) from pipedrive_staging.users
