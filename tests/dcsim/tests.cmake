# The simulated domain controller and the source interface (issue 3).
# Included from tests/CMakeLists.txt, so paths are relative to tests/.
adbk_unit_test(dcsim_tests
  SOURCES dcsim/test_dcsim.c dcsim/fixture.c
  LIBS adbk_source adbk_dcsim
  LABELS dcsim)
