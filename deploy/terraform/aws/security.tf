# Least-privilege security groups: each hop opens exactly one port to exactly
# the group that needs it.
#
#   CloudFront ─443─▶ alb ─8080─▶ gateway ─┬─3001─▶ backend
#                                          ├─3002─▶ scanner ─3001─▶ backend
#                                          └─8000─▶ frontend ─3001─▶ backend
#   every role ─5432─▶ postgres, ─6379─▶ redis     (/ready checks both)
#   every role ─443─▶ anywhere (ECR, Secrets Manager, CloudWatch via NAT;
#                               backend also Stripe and Sentry)
#   backend ─smtp_port─▶ anywhere (the SMTP relay)

data "aws_ec2_managed_prefix_list" "cloudfront" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}

locals {
  roles = {
    gateway  = { port = 8080 }
    backend  = { port = 3001 }
    frontend = { port = 8000 }
    scanner  = { port = 3002 }
  }

  # Who may call whom inside the VPC: "<from>-><to>".
  role_flows = {
    "gateway->backend"  = { from = "gateway", to = "backend" }
    "gateway->scanner"  = { from = "gateway", to = "scanner" }
    "gateway->frontend" = { from = "gateway", to = "frontend" }
    "frontend->backend" = { from = "frontend", to = "backend" }
    "scanner->backend"  = { from = "scanner", to = "backend" }
  }
}

resource "aws_security_group" "alb" {
  name        = "${local.name}-alb"
  description = "ALB: HTTPS from CloudFront only"
  vpc_id      = aws_vpc.main.id
}

resource "aws_security_group" "role" {
  for_each = local.roles

  name        = "${local.name}-${each.key}"
  description = "Bilten ${each.key} tasks"
  vpc_id      = aws_vpc.main.id
}

resource "aws_security_group" "postgres" {
  name        = "${local.name}-postgres"
  description = "RDS PostgreSQL: 5432 from Bilten tasks only"
  vpc_id      = aws_vpc.main.id
}

resource "aws_security_group" "redis" {
  name        = "${local.name}-redis"
  description = "ElastiCache Redis: 6379 from Bilten tasks only"
  vpc_id      = aws_vpc.main.id
}

# --- ALB ---------------------------------------------------------------------
resource "aws_vpc_security_group_ingress_rule" "alb_https_from_cloudfront" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from CloudFront origin-facing addresses"
  prefix_list_id    = data.aws_ec2_managed_prefix_list.cloudfront.id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "alb_to_gateway" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To gateway tasks"
  referenced_security_group_id = aws_security_group.role["gateway"].id
  ip_protocol                  = "tcp"
  from_port                    = local.roles.gateway.port
  to_port                      = local.roles.gateway.port
}

resource "aws_vpc_security_group_ingress_rule" "gateway_from_alb" {
  security_group_id            = aws_security_group.role["gateway"].id
  description                  = "From the ALB"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = local.roles.gateway.port
  to_port                      = local.roles.gateway.port
}

# --- Between roles -----------------------------------------------------------
resource "aws_vpc_security_group_ingress_rule" "role_flow" {
  for_each = local.role_flows

  security_group_id            = aws_security_group.role[each.value.to].id
  description                  = "From ${each.value.from}"
  referenced_security_group_id = aws_security_group.role[each.value.from].id
  ip_protocol                  = "tcp"
  from_port                    = local.roles[each.value.to].port
  to_port                      = local.roles[each.value.to].port
}

resource "aws_vpc_security_group_egress_rule" "role_flow" {
  for_each = local.role_flows

  security_group_id            = aws_security_group.role[each.value.from].id
  description                  = "To ${each.value.to}"
  referenced_security_group_id = aws_security_group.role[each.value.to].id
  ip_protocol                  = "tcp"
  from_port                    = local.roles[each.value.to].port
  to_port                      = local.roles[each.value.to].port
}

# --- Datastores --------------------------------------------------------------
resource "aws_vpc_security_group_ingress_rule" "postgres_from_role" {
  for_each = local.roles

  security_group_id            = aws_security_group.postgres.id
  description                  = "PostgreSQL from ${each.key}"
  referenced_security_group_id = aws_security_group.role[each.key].id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_egress_rule" "role_to_postgres" {
  for_each = local.roles

  security_group_id            = aws_security_group.role[each.key].id
  description                  = "To PostgreSQL"
  referenced_security_group_id = aws_security_group.postgres.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_role" {
  for_each = local.roles

  security_group_id            = aws_security_group.redis.id
  description                  = "Redis from ${each.key}"
  referenced_security_group_id = aws_security_group.role[each.key].id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_vpc_security_group_egress_rule" "role_to_redis" {
  for_each = local.roles

  security_group_id            = aws_security_group.role[each.key].id
  description                  = "To Redis"
  referenced_security_group_id = aws_security_group.redis.id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

# --- Outbound ----------------------------------------------------------------
resource "aws_vpc_security_group_egress_rule" "role_https" {
  for_each = local.roles

  security_group_id = aws_security_group.role[each.key].id
  description       = "HTTPS: ECR, Secrets Manager, CloudWatch Logs (and Stripe/Sentry for the backend)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "backend_smtp" {
  security_group_id = aws_security_group.role["backend"].id
  description       = "SMTP relay (outbox emails)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = var.smtp_port
  to_port           = var.smtp_port
}
