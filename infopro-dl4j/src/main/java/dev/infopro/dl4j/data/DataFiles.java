package dev.infopro.dl4j.data;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/** File helpers shared by the readers: whole-file reads with size caps and transparent gzip. */
final class DataFiles {
    /** Largest byte array we ever allocate for one file (Java arrays stop just below 2^31). */
    static final long MAX_BYTES = Integer.MAX_VALUE - 64;

    private DataFiles() {
    }

    /** Reads a whole file, refusing anything that cannot fit into one array; a missing file gets a clear error. */
    static byte[] readFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DatasetFormatException(file + ": file not found (expected a regular file)");
        }
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new DatasetFormatException(file + ": file is " + size + " bytes, more than the supported maximum of "
                    + MAX_BYTES);
        }
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DatasetFormatException(file + ": file not found", e);
        }
    }

    /** True when the bytes start with the gzip magic number 1f 8b. */
    static boolean isGzip(byte[] data) {
        return data.length >= 2 && (data[0] & 0xff) == 0x1f && (data[1] & 0xff) == 0x8b;
    }

    /**
     * Returns the data decompressed if it is gzip, else unchanged. The output grows with what is actually decoded, so
     * a corrupt stream can never make us allocate more than it really inflates to (capped at {@link #MAX_BYTES}).
     */
    static byte[] maybeGunzip(byte[] data, String source) throws DatasetFormatException {
        if (!isGzip(data)) {
            return data;
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(data), 1 << 16)) {
            byte[] out = new byte[Math.max(1024, Math.min(data.length * 4, 1 << 26))];
            int n = 0;
            while (true) {
                if (n == out.length) {
                    if (out.length >= MAX_BYTES) {
                        throw new DatasetFormatException(source + ": gzip data inflates to more than " + MAX_BYTES
                                + " bytes");
                    }
                    out = Arrays.copyOf(out, (int) Math.min(MAX_BYTES, (long) out.length * 2));
                }
                int r = in.read(out, n, out.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
            return n == out.length ? out : Arrays.copyOf(out, n);
        } catch (DatasetFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // ZipException, EOFException ("Unexpected end of ZLIB input stream") and friends.
            throw new DatasetFormatException(source + ": corrupt or truncated gzip data (" + e.getMessage() + ")", e);
        }
    }

    static int readIntBE(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }

    /** Returns the first existing file among the candidate names in the given folders, or the first candidate. */
    static Path firstExisting(Path[] dirs, String... names) {
        for (Path d : dirs) {
            for (String n : names) {
                Path p = d.resolve(n);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
        }
        return dirs[0].resolve(names[0]);
    }
}
