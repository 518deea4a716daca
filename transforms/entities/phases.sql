-- one row per phase of a project board that is not deleted
create or replace view pipedrive.phases as
select * exclude (_source_api) from pipedrive_staging.phases
where not is_deleted
