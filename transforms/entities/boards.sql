-- one row per project board that is not deleted
create or replace view pipedrive.boards as
select * exclude (_source_api) from pipedrive_staging.boards
where not is_deleted
