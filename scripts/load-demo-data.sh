#!/usr/bin/env bash
# Loads the seed's demo tables into the deployed demo cluster through the RDS
# Data API, then takes a manual cluster snapshot, which starts the pipeline.
# Needs the AWS CLI with credentials for the demo account.
#   scripts/load-demo-data.sh [stack-name]   (default SnapshotLakeDemo)
set -euo pipefail
stack="${1:-SnapshotLakeDemo}"
cd "$(dirname "$0")/.."

output() {
  aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?starts_with(OutputKey, \`$1\`)].OutputValue | [0]" --output text
}
cluster_arn="$(output DemoResourcesClusterArn)"
secret_arn="$(output DemoResourcesSecretArn)"
cluster_id="$(output DemoResourcesClusterIdentifier)"

go run ./cmd/demo-sql | while IFS= read -r -d '' sql; do
  echo "-- ${sql%%$'\n'*}"
  aws rds-data execute-statement --resource-arn "$cluster_arn" --secret-arn "$secret_arn" \
    --database postgres --sql "$sql" >/dev/null
done

snapshot="demo-$(date -u +%Y%m%d%H%M%S)"
aws rds create-db-cluster-snapshot --db-cluster-identifier "$cluster_id" \
  --db-cluster-snapshot-identifier "$snapshot" >/dev/null
echo "created manual snapshot $snapshot of $cluster_id: the export starts when it is available"
