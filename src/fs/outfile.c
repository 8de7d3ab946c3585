/* in progress */ typedef int adbk_placeholder_outfile;
