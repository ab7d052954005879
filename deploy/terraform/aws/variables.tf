# No variable here holds a secret and none has a secret default. Passwords for
# PostgreSQL and Redis are generated (random_password) and stored in Secrets
# Manager; application secrets (JWT, SMTP, Stripe, Sentry) live in a Secrets
# Manager secret created outside Terraform and passed by ARN, so their values
# never enter the Terraform state.

variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name prefix for every resource."
  type        = string
  default     = "bilten"
}

variable "environment" {
  description = "Environment name (staging, production)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.environment))
    error_message = "environment must be lower-case letters, digits and dashes."
  }
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC (a /16 is split into /24 subnets)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Number of availability zones (2 or 3)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all AZs (cheaper, not AZ-redundant)."
  type        = bool
  default     = false
}

variable "image_registry" {
  description = "Registry holding the bilten/* images, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com."
  type        = string
}

variable "image_tag" {
  description = "Image tag to run (the commit SHA the pipeline built)."
  type        = string
}

variable "domain_name" {
  description = "Public host name served by CloudFront, e.g. tickets.example.com."
  type        = string
}

variable "origin_domain_name" {
  description = "Host name of the ALB origin (must be covered by alb_certificate_arn), e.g. origin.tickets.example.com."
  type        = string
}

variable "alb_certificate_arn" {
  description = "ACM certificate (in var.region) for origin_domain_name."
  type        = string
}

variable "cloudfront_certificate_arn" {
  description = "ACM certificate in us-east-1 for domain_name."
  type        = string
}

variable "route53_zone_id" {
  description = "Optional Route 53 zone: when set, records for domain_name and origin_domain_name are created."
  type        = string
  default     = null
}

variable "cloudfront_price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"
}

variable "app_secret_arn" {
  description = "ARN of an existing Secrets Manager secret (JSON) with keys JWT_ACCESS_SECRET, JWT_REFRESH_SECRET, TICKET_SIGNING_SECRET, SMTP_USER, SMTP_PASS, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, SENTRY_DSN."
  type        = string
}

variable "smtp_host" {
  description = "SMTP relay host."
  type        = string
}

variable "smtp_port" {
  description = "SMTP relay port."
  type        = number
  default     = 587
}

variable "smtp_from" {
  description = "From address of outgoing mail."
  type        = string
}

variable "db_engine_version" {
  description = "PostgreSQL major (or major.minor) version."
  type        = string
  default     = "16"
}

variable "db_instance_class" {
  description = "RDS instance class of the primary and the replica."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_allocated_storage" {
  description = "Initial storage in GiB."
  type        = number
  default     = 50
}

variable "db_max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 200
}

variable "db_multi_az" {
  description = "Synchronous standby in a second AZ for the primary."
  type        = bool
  default     = true
}

variable "db_read_replica" {
  description = "Create a read replica (used through DATABASE_READ_URL)."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Automated backup retention (point-in-time recovery window)."
  type        = number
  default     = 14
}

variable "deletion_protection" {
  description = "Protect the RDS primary and the ALB against deletion."
  type        = bool
  default     = true
}

variable "db_pool_max" {
  description = "DATABASE_POOL_MAX per task; keep tasks x pool below max_connections."
  type        = number
  default     = 20
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.small"
}

variable "redis_num_cache_clusters" {
  description = "Redis nodes (1 primary + replicas); >1 enables automatic failover."
  type        = number
  default     = 2
}

variable "services" {
  description = "Per-role Fargate size and task counts (backend and gateway autoscale between min and max)."
  type = map(object({
    cpu    = number
    memory = number
    min    = number
    max    = number
  }))
  default = {
    gateway  = { cpu = 512, memory = 1024, min = 2, max = 6 }
    backend  = { cpu = 1024, memory = 2048, min = 3, max = 10 }
    frontend = { cpu = 512, memory = 1024, min = 2, max = 6 }
    scanner  = { cpu = 256, memory = 512, min = 2, max = 4 }
  }

  validation {
    condition     = alltrue([for role in ["gateway", "backend", "frontend", "scanner"] : contains(keys(var.services), role)])
    error_message = "services must define gateway, backend, frontend and scanner."
  }
}

variable "log_retention_days" {
  description = "CloudWatch log retention."
  type        = number
  default     = 30
}
