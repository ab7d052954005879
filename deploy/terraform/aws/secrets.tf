# Connection strings built from the generated passwords, stored in Secrets
# Manager and injected into the tasks as environment variables by ECS.

locals {
  db_primary_url = "postgres://${aws_db_instance.primary.username}:${random_password.db.result}@${aws_db_instance.primary.address}:5432/bilten?sslmode=require"
  db_read_url = (var.db_read_replica
    ? "postgres://${aws_db_instance.primary.username}:${random_password.db.result}@${aws_db_instance.replica[0].address}:5432/bilten?sslmode=require"
  : local.db_primary_url)
}

resource "aws_secretsmanager_secret" "database" {
  name_prefix             = "${local.name}/database-"
  description             = "DATABASE_URL and DATABASE_READ_URL for Bilten"
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "database" {
  secret_id = aws_secretsmanager_secret.database.id
  secret_string = jsonencode({
    DATABASE_URL      = local.db_primary_url
    DATABASE_READ_URL = local.db_read_url
  })
}

resource "aws_secretsmanager_secret" "redis" {
  name_prefix             = "${local.name}/redis-"
  description             = "REDIS_PASSWORD (ElastiCache AUTH token) for Bilten"
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "redis" {
  secret_id     = aws_secretsmanager_secret.redis.id
  secret_string = jsonencode({ REDIS_PASSWORD = random_password.redis.result })
}

# CloudFront adds this header to every origin request; the ALB forwards only
# requests that carry it, so the ALB cannot be used to bypass CloudFront.
resource "random_password" "origin_verify" {
  length  = 48
  special = false
}
