# ECS on Fargate (chosen over EKS): four stateless services and a one-shot
# migration task need no cluster to operate, patch or upgrade; Fargate gives
# per-task isolation and IAM, and ECS rolling deployments with the circuit
# breaker give the "maxSurge 1 / maxUnavailable 0 + automatic rollback"
# behaviour. Teams that want the blue-green/canary machinery use the
# Kubernetes manifests in deploy/k8s instead (docs/OPERATIONS.md).
#
# Services find each other through ECS Service Connect (namespace
# bilten.internal): http://backend:3001, http://scanner:3002, http://frontend:8000.

resource "aws_ecs_cluster" "main" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_service_discovery_http_namespace" "main" {
  name        = "${local.name}.internal"
  description = "Service Connect namespace for Bilten"
}

resource "aws_cloudwatch_log_group" "role" {
  for_each = toset(concat(keys(local.roles), ["migrate"]))

  name              = "/ecs/${local.name}/${each.key}"
  retention_in_days = var.log_retention_days
}

locals {
  image = { for role in keys(local.roles) : role => "${var.image_registry}/bilten/${role}:${var.image_tag}" }

  common_environment = [
    { name = "APP_ENV", value = "production" },
    { name = "BIND_HOST", value = "0.0.0.0" },
    { name = "PUBLIC_URL", value = "https://${var.domain_name}" },
    { name = "DATABASE_POOL_MIN", value = "2" },
    { name = "DATABASE_POOL_MAX", value = tostring(var.db_pool_max) },
    { name = "REDIS_URL", value = "rediss://${aws_elasticache_replication_group.main.primary_endpoint_address}:6379" },
    { name = "JWT_ACCESS_EXPIRES_IN", value = "15m" },
    { name = "JWT_REFRESH_EXPIRES_IN", value = "7d" },
    { name = "SMTP_HOST", value = var.smtp_host },
    { name = "SMTP_PORT", value = tostring(var.smtp_port) },
    { name = "SMTP_FROM", value = var.smtp_from },
    { name = "BILTEN_DATA_DIR", value = "/var/lib/bilten" },
    { name = "BACKEND_URL", value = "http://backend:3001" },
    # The ALB sits in the public subnets of this VPC: believe its X-Forwarded-For.
    { name = "GATEWAY_TRUSTED_PROXIES", value = var.vpc_cidr },
    { name = "GATEWAY_UPSTREAMS_BACKEND", value = "http://backend:3001" },
    { name = "GATEWAY_UPSTREAMS_SCANNER", value = "http://scanner:3002" },
    { name = "GATEWAY_UPSTREAMS_FRONTEND", value = "http://frontend:8000" },
  ]

  common_secrets = concat(
    [
      { name = "DATABASE_URL", valueFrom = "${aws_secretsmanager_secret.database.arn}:DATABASE_URL::" },
      { name = "DATABASE_READ_URL", valueFrom = "${aws_secretsmanager_secret.database.arn}:DATABASE_READ_URL::" },
      { name = "REDIS_PASSWORD", valueFrom = "${aws_secretsmanager_secret.redis.arn}:REDIS_PASSWORD::" },
    ],
    [
      for key in ["JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET", "TICKET_SIGNING_SECRET", "SMTP_USER", "SMTP_PASS", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "SENTRY_DSN"] :
      { name = key, valueFrom = "${var.app_secret_arn}:${key}::" }
    ],
  )

  # Writable paths on a read-only root filesystem.
  scratch_mounts = [
    { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
    { sourceVolume = "data", containerPath = "/var/lib/bilten", readOnly = false },
  ]
}

resource "aws_ecs_task_definition" "role" {
  for_each = local.roles

  family                   = "${local.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.services[each.key].cpu
  memory                   = var.services[each.key].memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "tmp"
  }

  volume {
    name = "data"
  }

  container_definitions = jsonencode([
    {
      name                   = each.key
      image                  = local.image[each.key]
      command                = [each.key]
      essential              = true
      user                   = "10001:10001"
      readonlyRootFilesystem = true
      stopTimeout            = 40
      portMappings = [
        { name = "http", containerPort = each.value.port, protocol = "tcp", appProtocol = "http" },
      ]
      environment = concat(local.common_environment, [{ name = "PORT", value = tostring(each.value.port) }])
      secrets     = local.common_secrets
      mountPoints = local.scratch_mounts
      healthCheck = {
        # The image has no shell and no curl: the binary checks itself (PORT is set above).
        command     = ["CMD", "/usr/local/bin/bilten", "healthcheck"]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 30
      }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.role[each.key].name
          awslogs-region        = var.region
          awslogs-stream-prefix = each.key
        }
      }
    },
  ])
}

# One-shot: `bilten migrate` with the backend image. The pipeline runs it with
# `aws ecs run-task` (see the run_migration_command output) and waits for exit
# code 0 before updating the services.
resource "aws_ecs_task_definition" "migrate" {
  family                   = "${local.name}-migrate"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "tmp"
  }

  volume {
    name = "data"
  }

  container_definitions = jsonencode([
    {
      name                   = "migrate"
      image                  = local.image["backend"]
      command                = ["migrate"]
      essential              = true
      user                   = "10001:10001"
      readonlyRootFilesystem = true
      environment            = local.common_environment
      secrets                = local.common_secrets
      mountPoints            = local.scratch_mounts
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.role["migrate"].name
          awslogs-region        = var.region
          awslogs-stream-prefix = "migrate"
        }
      }
    },
  ])
}

resource "aws_ecs_service" "role" {
  for_each = local.roles

  name             = each.key
  cluster          = aws_ecs_cluster.main.id
  task_definition  = aws_ecs_task_definition.role[each.key].arn
  desired_count    = var.services[each.key].min
  launch_type      = "FARGATE"
  platform_version = "LATEST"

  # Rolling update: never below the desired count, one extra batch at a time.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  health_check_grace_period_seconds = each.key == "gateway" ? 60 : null
  enable_execute_command            = false
  propagate_tags                    = "SERVICE"

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.role[each.key].id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = each.key == "gateway" ? [1] : []
    content {
      target_group_arn = aws_lb_target_group.gateway.arn
      container_name   = "gateway"
      container_port   = local.roles.gateway.port
    }
  }

  service_connect_configuration {
    enabled   = true
    namespace = aws_service_discovery_http_namespace.main.arn

    service {
      port_name      = "http"
      discovery_name = each.key

      client_alias {
        dns_name = each.key
        port     = each.value.port
      }
    }
  }

  lifecycle {
    # The autoscaler owns the task count after creation.
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.https]
}

# --- Autoscaling: CPU 70 %, memory 80 % (same targets as the Kubernetes HPA) --
resource "aws_appautoscaling_target" "role" {
  for_each = local.roles

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.role[each.key].name}"
  min_capacity       = var.services[each.key].min
  max_capacity       = var.services[each.key].max
}

resource "aws_appautoscaling_policy" "cpu" {
  for_each = local.roles

  name               = "${local.name}-${each.key}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.role[each.key].service_namespace
  scalable_dimension = aws_appautoscaling_target.role[each.key].scalable_dimension
  resource_id        = aws_appautoscaling_target.role[each.key].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = 70
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "memory" {
  for_each = local.roles

  name               = "${local.name}-${each.key}-memory"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.role[each.key].service_namespace
  scalable_dimension = aws_appautoscaling_target.role[each.key].scalable_dimension
  resource_id        = aws_appautoscaling_target.role[each.key].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = 80
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageMemoryUtilization"
    }
  }
}
