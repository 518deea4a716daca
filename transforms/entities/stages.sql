-- one row per stage that is not deleted, with its pipeline's name
create or replace view pipedrive.stages as
with stages as (
    select * exclude (_source_api) from pipedrive_staging.stages
    where not is_deleted
),

pipelines as (
    select id, name from pipedrive_staging.pipelines
)

select
    stages.*,
    pipelines.name as pipeline_name
from stages
left join pipelines on pipelines.id = stages.pipeline_id
