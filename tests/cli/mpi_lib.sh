# Shared by tests/cli/test_mpi.sh and scripts/mpi_exactness.sh: how to run lmprob-mpi.
# MPIRUN runs a command on N ranks: mpirun_n N cmd...
# Open MPI refuses to start as root unless told that is meant (CI containers run as root).
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# --oversubscribe: more ranks than cores (this is about exactness, not speed);
# --bind-to none: oversubscribed ranks bound to one core each would share it.
# btl self,vader: one machine, shared memory (no probing of network interfaces).
# The ob1 point-to-point layer without probing UCX/OFI (absent here): about 0.2 s less per start.
MPI_FAST="--mca pml ob1 --mca osc ^ucx --mca mtl ^ofi"
mpirun_n() {
  local n=$1; shift
  mpirun --oversubscribe --bind-to none --mca btl self,vader $MPI_FAST -np "$n" "$@"
}
# The same over TCP only: for the tests that limit a rank's file size (ulimit -f), which would also
# stop the shared-memory transport from sizing its segment.
mpirun_tcp() {
  local n=$1; shift
  mpirun --oversubscribe --bind-to none --mca btl self,tcp $MPI_FAST -np "$n" "$@"
}
