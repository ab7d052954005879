terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.70"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # State holds generated passwords: keep it in an encrypted, access-controlled
  # bucket. Configure at init time, e.g.
  #   terraform init -backend-config="bucket=..." -backend-config="key=bilten/production.tfstate" \
  #                  -backend-config="region=eu-west-1" -backend-config="encrypt=true" \
  #                  -backend-config="use_lockfile=true"
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}

data "aws_caller_identity" "current" {}

locals {
  name = "${var.name}-${var.environment}"
  tags = {
    Project     = "bilten"
    Environment = var.environment
    ManagedBy   = "terraform"
  }
}
