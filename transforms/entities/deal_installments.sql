-- one row per installment of a deal that is not deleted
create or replace view pipedrive.deal_installments as
select * exclude (_source_api) from pipedrive_staging.deal_installments
where not is_deleted
