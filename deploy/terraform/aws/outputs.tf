output "vpc_id" {
  value = aws_vpc.main.id
}

output "public_subnet_ids" {
  value = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  value = aws_subnet.private[*].id
}

output "alb_dns_name" {
  description = "Point origin_domain_name at this (done automatically when route53_zone_id is set)."
  value       = aws_lb.main.dns_name
}

output "cloudfront_domain_name" {
  description = "Point domain_name at this (done automatically when route53_zone_id is set)."
  value       = aws_cloudfront_distribution.main.domain_name
}

output "cloudfront_distribution_id" {
  value = aws_cloudfront_distribution.main.id
}

output "ecs_cluster_name" {
  value = aws_ecs_cluster.main.name
}

output "ecs_service_names" {
  value = { for role, svc in aws_ecs_service.role : role => svc.name }
}

output "migrate_task_definition_arn" {
  value = aws_ecs_task_definition.migrate.arn
}

output "run_migration_command" {
  description = "Runs `bilten migrate` once; wait for exit code 0 before updating the services."
  value = join(" ", [
    "aws ecs run-task --cluster", aws_ecs_cluster.main.name,
    "--launch-type FARGATE --task-definition", aws_ecs_task_definition.migrate.arn,
    "--network-configuration",
    "'awsvpcConfiguration={subnets=[${join(",", aws_subnet.private[*].id)}],securityGroups=[${aws_security_group.role["backend"].id}],assignPublicIp=DISABLED}'",
  ])
}

output "db_endpoint" {
  value = aws_db_instance.primary.address
}

output "db_replica_endpoint" {
  value = var.db_read_replica ? aws_db_instance.replica[0].address : null
}

output "redis_primary_endpoint" {
  value = aws_elasticache_replication_group.main.primary_endpoint_address
}

output "database_secret_arn" {
  description = "Secrets Manager secret with DATABASE_URL and DATABASE_READ_URL."
  value       = aws_secretsmanager_secret.database.arn
}
