import { parse } from 'yaml';
import {
  CASSANDRA_POD_IP_TOKEN,
  CASSANDRA_SEEDS_TOKEN,
  renderCassandraYaml,
  renderRackDcProperties,
  renderScyllaIoProperties,
  renderScyllaYaml,
} from '../../../blueprints/workloads/cassandra';

const cassandraInput = {
  clusterName: 'Orders Cluster',
  numTokens: 16,
  allocateTokensForLocalReplicationFactor: 3,
  seeds: [CASSANDRA_SEEDS_TOKEN],
  listenAddress: CASSANDRA_POD_IP_TOKEN,
  rpcAddress: CASSANDRA_POD_IP_TOKEN,
  authentication: true,
  dataRoot: '/var/lib/cassandra',
  commitlogDirectory: '/var/lib/cassandra-commitlog/commitlog',
  concurrentReads: 32,
  concurrentWrites: 64,
  storagePort: 7000,
  nativeTransportPort: 9042,
};

describe('renderCassandraYaml', () => {
  const text = renderCassandraYaml(cassandraInput);
  const doc = parse(text);

  test('writes the ring identity, tokens, seeds and snitch', () => {
    expect(doc.cluster_name).toBe('Orders Cluster');
    expect(doc.num_tokens).toBe(16);
    expect(doc.allocate_tokens_for_local_replication_factor).toBe(3);
    expect(doc.partitioner).toBe('org.apache.cassandra.dht.Murmur3Partitioner');
    expect(doc.endpoint_snitch).toBe('GossipingPropertyFileSnitch');
    expect(doc.seed_provider).toEqual([
      { class_name: 'org.apache.cassandra.locator.SimpleSeedProvider', parameters: [{ seeds: '@@SEEDS@@' }] },
    ]);
  });

  test('binds internode and CQL to the pod IP token, on the standard ports', () => {
    expect(doc.listen_address).toBe('@@POD_IP@@');
    expect(doc.rpc_address).toBe('@@POD_IP@@');
    expect(doc.storage_port).toBe(7000);
    expect(doc.native_transport_port).toBe(9042);
    expect(doc.start_native_transport).toBe(true);
    // Token replacement is textual: each token appears in the file and nowhere partially.
    expect(text.split('"@@POD_IP@@"').length - 1).toBe(2);
  });

  test('puts every directory on the volumes', () => {
    expect(doc.data_file_directories).toEqual(['/var/lib/cassandra/data']);
    expect(doc.commitlog_directory).toBe('/var/lib/cassandra-commitlog/commitlog');
    expect(doc.saved_caches_directory).toBe('/var/lib/cassandra/saved_caches');
    expect(doc.hints_directory).toBe('/var/lib/cassandra/hints');
    expect(doc.cdc_raw_directory).toBe('/var/lib/cassandra/cdc_raw');
  });

  test('authentication uses the 5.0 parameterized authenticator and CassandraAuthorizer', () => {
    expect(doc.authenticator).toEqual({ class_name: 'PasswordAuthenticator' });
    expect(doc.authorizer).toBe('CassandraAuthorizer');
    expect(doc.role_manager).toBe('CassandraRoleManager');
    const open = parse(renderCassandraYaml({ ...cassandraInput, authentication: false }));
    expect(open.authenticator).toEqual({ class_name: 'AllowAllAuthenticator' });
    expect(open.authorizer).toBe('AllowAllAuthorizer');
  });

  test('concurrency, commit log and memtables use 5.0 key names and units', () => {
    expect(doc.concurrent_reads).toBe(32);
    expect(doc.concurrent_writes).toBe(64);
    expect(doc.concurrent_counter_writes).toBe(32);
    expect(doc.concurrent_materialized_view_writes).toBe(64);
    expect(doc.commitlog_sync).toBe('periodic');
    expect(doc.commitlog_sync_period).toBe('10000ms');
    expect(doc.commitlog_segment_size).toBe('32MiB');
    expect(doc.memtable_allocation_type).toBe('offheap_objects');
    expect(doc.disk_failure_policy).toBe('stop');
    expect(Object.keys(doc).filter((k) => /_in_(ms|mb|kb)$/.test(k))).toEqual([]);
  });

  test('is deterministic and refuses inputs Cassandra would reject later', () => {
    expect(renderCassandraYaml(cassandraInput)).toBe(text);
    expect(() => renderCassandraYaml({ ...cassandraInput, seeds: [] })).toThrow(/seeds/);
    expect(() => renderCassandraYaml({ ...cassandraInput, seeds: ['10.0.0.1,10.0.0.2'] })).toThrow(/seeds/);
    expect(() => renderCassandraYaml({ ...cassandraInput, numTokens: 0 })).toThrow(/num_tokens 0/);
    expect(() => renderCassandraYaml({ ...cassandraInput, concurrentWrites: 2.5 })).toThrow(
      /concurrent_writes/,
    );
  });

  test('renders real seed addresses as one comma-separated parameter', () => {
    const d = parse(renderCassandraYaml({ ...cassandraInput, seeds: ['10.0.0.1', '10.0.1.1', 'fd00::7'] }));
    expect(d.seed_provider[0].parameters[0].seeds).toBe('10.0.0.1,10.0.1.1,fd00::7');
  });
});

describe('renderScyllaYaml', () => {
  const input = {
    clusterName: 'events',
    numTokens: 256,
    seeds: [CASSANDRA_SEEDS_TOKEN],
    listenAddress: CASSANDRA_POD_IP_TOKEN,
    rpcAddress: CASSANDRA_POD_IP_TOKEN,
    authentication: true,
    workdir: '/var/lib/scylla/node',
    commitlogDirectory: '/var/lib/scylla/node/commitlog',
    maintenanceSocket: '/run/scylla/cql.m',
    storagePort: 7000,
    nativeTransportPort: 9042,
    shardAwarePort: 19042,
    prometheusPort: 9180,
  };
  const doc = parse(renderScyllaYaml(input));

  test('writes identity, seeds, snitch, addresses and ports', () => {
    expect(doc.cluster_name).toBe('events');
    expect(doc.num_tokens).toBe(256);
    expect(doc.endpoint_snitch).toBe('GossipingPropertyFileSnitch');
    expect(doc.seed_provider[0].parameters[0].seeds).toBe('@@SEEDS@@');
    expect(doc.listen_address).toBe('@@POD_IP@@');
    expect(doc.rpc_address).toBe('@@POD_IP@@');
    expect(doc.native_shard_aware_transport_port).toBe(19042);
    expect(doc.prometheus_port).toBe(9180);
    expect(doc.api_address).toBe('127.0.0.1');
  });

  test('keeps all directories below the workdir and stays out of developer mode', () => {
    expect(doc.workdir).toBe('/var/lib/scylla/node');
    expect(doc.data_file_directories).toEqual(['/var/lib/scylla/node/data']);
    expect(doc.commitlog_directory).toBe('/var/lib/scylla/node/commitlog');
    expect(doc.developer_mode).toBe(false);
  });

  test('authentication and the maintenance socket go together', () => {
    expect(doc.authenticator).toBe('PasswordAuthenticator');
    expect(doc.authorizer).toBe('CassandraAuthorizer');
    expect(doc.maintenance_socket).toBe('/run/scylla/cql.m');
    const open = parse(renderScyllaYaml({ ...input, authentication: false, maintenanceSocket: undefined }));
    expect(open.authenticator).toBe('AllowAllAuthenticator');
    expect(open.maintenance_socket).toBe('ignore');
  });
});

describe('renderRackDcProperties', () => {
  test('writes dc and rack for GossipingPropertyFileSnitch', () => {
    const text = renderRackDcProperties('eu-west', 'rack-a');
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines).toEqual(['dc=eu-west', 'rack=rack-a']);
  });
});

describe('renderScyllaIoProperties', () => {
  test('writes the Seastar disks section for one mount point', () => {
    const doc = parse(
      renderScyllaIoProperties('/var/lib/scylla', {
        readIops: 95000,
        readBandwidth: 545000000,
        writeIops: 85000,
        writeBandwidth: 510000000,
      }),
    );
    expect(doc).toEqual({
      disks: [
        {
          mountpoint: '/var/lib/scylla',
          read_iops: 95000,
          read_bandwidth: 545000000,
          write_iops: 85000,
          write_bandwidth: 510000000,
        },
      ],
    });
  });
});
