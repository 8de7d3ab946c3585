# The simulated domain controller, and the engine's DsBackup adapter over it
# (issue 3). Included from tests/CMakeLists.txt, so paths are relative to
# tests/. The adapter is private to the engine: its folder is named here.
adbk_unit_test(dcsim_tests
  SOURCES dcsim/test_dcsim.c dcsim/fixture.c
  LIBS adbk_engine adbk_dcsim
  LABELS dcsim)
target_include_directories(dcsim_tests PRIVATE ${PROJECT_SOURCE_DIR}/src/dsbackup)
