-- one row per pipeline that is not deleted
create or replace view pipedrive.pipelines as
select * exclude (_source_api) from pipedrive_staging.pipelines
where not is_deleted
