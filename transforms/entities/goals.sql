-- one row per goal that is not deleted
create or replace view pipedrive.goals as
select * exclude (_source_api) from pipedrive_staging.goals
where not is_deleted
