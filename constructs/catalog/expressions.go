package catalog

// JSONata of the catalog state machine. Each expression reads the state's
// input or variables; the Glue database and bucket names are written into
// the text as string literals by the construct.

// validEventExpr holds for a copied-export event of schema version 2 with
// what the catalog needs.
const validEventExpr = `(
  $d := $states.input.detail;
  $d.destinationBucket = %s and $d.schemaVersion = 2 and $type($d.exportTaskIdentifier) = 'string' and $type($d.destinationBucket) = 'string'
    and $type($d.destinationPrefix) = 'string' and $type($d.metadataPrefix) = 'string'
    and $type($d.partition) = 'string' and $contains($d.partition, '=')
)`

// planExpr (with %s: the bucket literal) is the run's plan: where the
// export's metadata and tables are, and its partition.
const planExpr = `{
  'exportTaskIdentifier': $states.input.detail.exportTaskIdentifier,
  'bucket': $states.input.detail.destinationBucket,
  'prefix': $states.input.detail.destinationPrefix,
  'metadataPrefix': $states.input.detail.metadataPrefix,
  'partition': $states.input.detail.partition,
  'partitionKey': $substringBefore($states.input.detail.partition, '='),
  'partitionValue': $substringAfter($states.input.detail.partition, '=')
}`

// tablePlanExpr turns one perTableStatus entry ($states.input.table) and the
// run's plan ($states.input.plan) into the table's name, columns and
// locations. %s: the JSONata lookup objects of PostgreSQLTypes and
// ExportedTypes.
//
// Table name: "<database>_<schema>_<table>" (the export target
// "<database>.<schema>.<table>"; MySQL: "<database>_<database>_<table>"),
// lowercase, every character other than a-z, 0-9 and _ replaced by _; when
// that changed anything but the two separators, or the name is longer than
// 255 characters, it is cut to 246 and "_<first 8 hex of MD5 of
// '<database>/<schema.table>'>" appended, so two source tables never share
// a name because of case or odd characters.
const tablePlanExpr = `(
  $pg := %s;
  $exported := %s;
  $target := $states.input.table.target;
  $db := $substringBefore($target, '.');
  $st := $substringAfter($target, '.');
  $raw := $db & '_' & $substringBefore($st, '.') & '_' & $substringAfter($st, '.');
  $base := $replace($lowercase($raw), /[^a-z0-9_]/, '_');
  $name := ($base = $raw and $length($base) <= 255) ? $base
    : $substring($base, 0, 246) & '_' & $substring($hash($db & '/' & $st, 'MD5'), 0, 8);
  $path := function($s) { $replace($s, /[\\\x60" ]/, '_') };
  $glueType := function($m) { (
    $o := $exists($m.originalType) ? $trim($replace($lowercase($string($m.originalType)), /\(.*?\)/, '')) : '';
    $o := ($substring($o, -2) = '[]' or $substring($o, 0, 1) = '_') ? 'array' : $o;
    $x := $exists($m.expectedExportedType) ? $trim($lowercase($string($m.expectedExportedType))) : '';
    $a := $lookup($pg, $o);
    $b := $lookup($exported, $x);
    $exists($a) ? $a : ($exists($b) ? $b : 'string')
  ) };
  $location := 's3://' & $states.input.plan.bucket & '/' & $states.input.plan.prefix & $path($db) & '/' & $path($st) & '/';
  {
    'name': $name,
    'source': $db & '/' & $st,
    'status': $states.input.table.status,
    'columns': [$states.input.table.schemaMetadata.originalTypeMappings.{'Name': columnName, 'Type': $glueType($)}],
    'location': $location,
    'partitionLocation': $location & $states.input.plan.partition & '/'
  }
)`

// tableInputExpr is the Glue TableInput of the planned table $t: an external
// Parquet table partitioned by the copy's partition key (a string).
var tableInputExpr = `{
  'Name': $t.name,
  'Description': 'RDS snapshot export of ' & $t.source & ' (snapshotlake)',
  'TableType': 'EXTERNAL_TABLE',
  'Parameters': {'classification': 'parquet', 'EXTERNAL': 'TRUE', 'snapshotlake.source': $t.source},
  'PartitionKeys': [{'Name': $plan.partitionKey, 'Type': 'string'}],
  'StorageDescriptor': ` + storageExpr("$t.location") + `
}`

// storageExpr is a Parquet StorageDescriptor of $t's columns at location:
// Hive's Parquet input/output formats and SerDe, as Athena reads them.
func storageExpr(location string) string {
	return `{
    'Columns': $t.columns,
    'Location': ` + location + `,
    'InputFormat': 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    'OutputFormat': 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
    'SerdeInfo': {
      'SerializationLibrary': 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      'Parameters': {'serialization.format': '1'}
    }
  }`
}

// unchangedExpr holds when the stored table (GetTable's result, the
// state's input) has $t's columns (names and types, in order) and location.
// Both sides are rebuilt by the same constructor before $string, so the
// comparison does not depend on the key order of stored JSON objects.
const unchangedExpr = `$string([$states.input.Table.StorageDescriptor.Columns.{'Name': Name, 'Type': Type}])
    = $string([$t.columns.{'Name': Name, 'Type': Type}])
  and $states.input.Table.StorageDescriptor.Location = $t.location`
