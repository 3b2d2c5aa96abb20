/*
 * Whole small files in memory: rule files, threshold files. Bounded, so that a wrong path
 * (a disk image, /dev/zero) gives an error instead of eating the memory.
 */
#ifndef MM_CORE_FILE_H
#define MM_CORE_FILE_H

#include <stddef.h>

/*
 * The file at path in *out (exactly its size, not NUL-terminated; the caller frees it) and
 * its length in *len. `what` names the file in messages ("rules file"). 0; MM_EIO with err
 * filled when it cannot be opened or read or is larger than max_bytes; MM_ENOMEM.
 */
int mm_read_file(const char *path, const char *what, size_t max_bytes, char **out, size_t *len,
                 char *err, size_t errlen);

#endif
