/**
 * Shell scripts that workload blueprints and cluster enablement put into pods, checked with the real
 * shellcheck (POSIX sh: the images run BusyBox or dash) and `sh -n`.
 */
import {
  CASSANDRA_BOOTSTRAP_SCRIPT,
  CASSANDRA_PREPARE_CONFIG_SCRIPT,
  CASSANDRA_RUN_SCRIPT,
  SCYLLA_BOOTSTRAP_SCRIPT,
  SCYLLA_IOTUNE_SCRIPT,
} from '../../blueprints/workloads/cassandra';
import { renderNodeCheckScript } from '../../lib/cluster/node-check';
import { requireTool, run, tempFile } from './tools';

beforeAll(() => {
  requireTool('shellcheck');
});

test.each([
  ['cassandra prepare-config.sh', CASSANDRA_PREPARE_CONFIG_SCRIPT],
  ['cassandra run.sh', CASSANDRA_RUN_SCRIPT],
  ['cassandra bootstrap-superuser.sh', CASSANDRA_BOOTSTRAP_SCRIPT],
  ['scylla bootstrap-superuser.sh', SCYLLA_BOOTSTRAP_SCRIPT],
  ['scylla iotune.sh', SCYLLA_IOTUNE_SCRIPT],
  ['kata node check.sh', renderNodeCheckScript(600)],
])('%s passes shellcheck -s sh and sh -n', (name, text) => {
  const file = tempFile('script.sh', text);
  const sc = run('shellcheck', ['-s', 'sh', '-S', 'style', file]);
  expect({ name, status: sc.status, output: sc.output }).toEqual({ name, status: 0, output: '' });
  expect(run('sh', ['-n', file])).toEqual({ status: 0, output: '' });
});
