/*
 * dsapi.c - the names of the contract's result codes (dsapi.h).
 */
#include "dsapi.h"

const char *ds_result_name(int32_t hr)
{
    switch ((uint32_t)hr) {
#define DS_NAME_(name, value) case value: return #name;
        DS_RESULTS(DS_NAME_)
#undef DS_NAME_
    }
    return NULL;
}

int32_t ds_result_unwrap(int32_t hr)
{
    uint32_t u = (uint32_t)hr;
    return (u & 0xFFFF0000u) == 0x80070000u ? (int32_t)(u & 0xFFFFu) : hr;
}
