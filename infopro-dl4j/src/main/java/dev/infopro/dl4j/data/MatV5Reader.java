package dev.infopro.dl4j.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A small reader for MATLAB v5 (and v7, i.e. v5 with compression) {@code .mat} files, covering exactly what the SVHN
 * cropped-digits files need: real, non-sparse numeric arrays stored as {@code miMATRIX}, either plain or inside
 * {@code miCOMPRESSED} (zlib) elements, including the small-data-element format. Cell arrays, structs, sparse,
 * complex and character arrays are skipped when not requested and rejected with a clear message when requested.
 * MATLAB v7.3 files are HDF5 and are rejected with a hint on how to convert them.
 */
public final class MatV5Reader {
    static final int MI_INT8 = 1;
    static final int MI_UINT8 = 2;
    static final int MI_INT16 = 3;
    static final int MI_UINT16 = 4;
    static final int MI_INT32 = 5;
    static final int MI_UINT32 = 6;
    static final int MI_SINGLE = 7;
    static final int MI_DOUBLE = 9;
    static final int MI_INT64 = 12;
    static final int MI_UINT64 = 13;
    static final int MI_MATRIX = 14;
    static final int MI_COMPRESSED = 15;
    private static final int HEADER = 128;
    /** Maximum deflate expansion ratio (about 1032:1) plus slack: a larger declared size is a corrupt tag. */
    private static final long MAX_INFLATE_RATIO = 1100;
    private static final String CONVERT_HINT = "convert it to v5/v7 format, e.g. in MATLAB: load(f); save(f2, '-v7'),"
            + " or in Python: scipy.io.savemat(f2, {'X': X, 'y': y}) after reading it with h5py";

    private MatV5Reader() {
    }

    /**
     * Reads the requested variables from a file.
     *
     * @param file  the {@code .mat} file
     * @param names variables to return; others are skipped
     * @return the requested variables found, by name, in file order
     * @throws DatasetFormatException if the file is missing, not MAT v5, truncated or corrupt, or a requested
     *                                variable is not a real numeric array
     */
    public static Map<String, MatArray> read(Path file, Set<String> names) throws IOException {
        return decode(DataFiles.readFile(file), file.toString(), names);
    }

    /**
     * Decodes the requested variables from the bytes of a {@code .mat} file.
     *
     * @param b      file content
     * @param source file name for messages
     * @param names  variables to return
     * @return the requested variables found, by name
     * @throws DatasetFormatException on any format problem
     */
    public static Map<String, MatArray> decode(byte[] b, String source, Set<String> names)
            throws DatasetFormatException {
        if (b.length >= 520 && b[512] == (byte) 0x89 && b[513] == 'H' && b[514] == 'D' && b[515] == 'F') {
            throw new DatasetFormatException(source + ": this is a MATLAB v7.3 (HDF5) file, which is not supported; "
                    + CONVERT_HINT);
        }
        if (b.length < HEADER) {
            throw new DatasetFormatException(source + ": expected a MAT-file header of 128 bytes, found " + b.length
                    + " bytes");
        }
        String text = new String(b, 0, 116, StandardCharsets.ISO_8859_1);
        if (text.startsWith("MATLAB 7.3")) {
            throw new DatasetFormatException(source + ": this is a MATLAB v7.3 (HDF5) file, which is not supported; "
                    + CONVERT_HINT);
        }
        ByteOrder order;
        if (b[126] == 'I' && b[127] == 'M') {
            order = ByteOrder.LITTLE_ENDIAN;
        } else if (b[126] == 'M' && b[127] == 'I') {
            order = ByteOrder.BIG_ENDIAN;
        } else {
            throw new DatasetFormatException(source + ": expected a MATLAB v5 header with endian indicator 'IM' or"
                    + " 'MI' at byte 126, found 0x" + Integer.toHexString(b[126] & 0xff) + " 0x"
                    + Integer.toHexString(b[127] & 0xff) + " (MAT v4 and v7.3 files are not supported)");
        }
        int version = ByteBuffer.wrap(b, 124, 2).order(order).getShort() & 0xffff;
        if (version != 0x0100) {
            throw new DatasetFormatException(source + ": expected MAT-file version 0x0100, found 0x"
                    + Integer.toHexString(version));
        }
        Map<String, MatArray> out = new LinkedHashMap<>();
        int pos = HEADER;
        while (pos < b.length) {
            if (b.length - pos < 8) {
                throw new DatasetFormatException(source + ": expected an 8-byte data element tag at offset " + pos
                        + ", found only " + (b.length - pos) + " bytes");
            }
            ByteBuffer bb = ByteBuffer.wrap(b).order(order);
            int type = bb.getInt(pos);
            long nbytes = bb.getInt(pos + 4) & 0xffffffffL;
            if (type == MI_COMPRESSED) {
                if (nbytes > b.length - pos - 8L) {
                    throw new DatasetFormatException(source + ": compressed element at offset " + pos + " declares "
                            + nbytes + " bytes, but only " + (b.length - pos - 8L) + " remain (truncated file?)");
                }
                byte[] inner = inflate(b, pos + 8, (int) nbytes, order, source, pos);
                parseMatrix(inner, 0, inner.length, order, source, names, out, "compressed element at offset " + pos);
                pos += 8 + (int) nbytes;
            } else if (type == MI_MATRIX) {
                long padded = (nbytes + 7) & ~7L;
                if (nbytes > b.length - pos - 8L) {
                    throw new DatasetFormatException(source + ": matrix element at offset " + pos + " declares "
                            + nbytes + " bytes, but only " + (b.length - pos - 8L) + " remain (truncated file?)");
                }
                parseMatrix(b, pos, (int) Math.min(b.length, pos + 8 + nbytes), order, source, names, out,
                        "element at offset " + pos);
                pos = (int) Math.min(b.length, pos + 8 + padded);
            } else {
                throw new DatasetFormatException(source + ": expected a miMATRIX (14) or miCOMPRESSED (15) element at"
                        + " offset " + pos + ", found data type " + type);
            }
        }
        return out;
    }

    /** Inflates a zlib stream whose content must be exactly one miMATRIX element. */
    private static byte[] inflate(byte[] b, int off, int len, ByteOrder order, String source, int elementPos)
            throws DatasetFormatException {
        Inflater inf = new Inflater();
        try {
            inf.setInput(b, off, len);
            byte[] tag = new byte[8];
            fill(inf, tag, 0, source, elementPos);
            long inner = ByteBuffer.wrap(tag, 4, 4).order(order).getInt() & 0xffffffffL;
            long cap = Math.min(DataFiles.MAX_BYTES - 8, len * MAX_INFLATE_RATIO + 4096);
            if (inner > cap) {
                throw new DatasetFormatException(source + ": compressed element at offset " + elementPos
                        + " declares an inflated size of " + inner + " bytes, implausible for " + len
                        + " compressed bytes");
            }
            byte[] out = new byte[(int) (8 + inner)];
            System.arraycopy(tag, 0, out, 0, 8);
            fill(inf, out, 8, source, elementPos);
            return out;
        } finally {
            inf.end();
        }
    }

    private static void fill(Inflater inf, byte[] out, int from, String source, int elementPos)
            throws DatasetFormatException {
        int n = from;
        try {
            while (n < out.length) {
                int r = inf.inflate(out, n, out.length - n);
                if (r == 0) {
                    // No progress: input exhausted, stream ended early, or a dictionary is needed. Never spin.
                    if (inf.needsInput() || inf.finished() || inf.needsDictionary()) {
                        throw new DatasetFormatException(source + ": compressed element at offset " + elementPos
                                + ": expected " + (out.length - from) + " inflated bytes, found "
                                + (n - from) + " (truncated or corrupt zlib data)");
                    }
                }
                n += r;
            }
        } catch (DataFormatException e) {
            throw new DatasetFormatException(source + ": compressed element at offset " + elementPos
                    + ": corrupt zlib data (" + e.getMessage() + ")", e);
        }
    }

    /** A sub-element of a matrix: its type, data offset and byte count, and the offset after it. */
    private static final class Sub {
        int type;
        int dataOff;
        int nbytes;
        int next;
    }

    private static Sub sub(byte[] b, int pos, int end, ByteOrder order, String source, String where)
            throws DatasetFormatException {
        if (end - pos < 8) {
            throw new DatasetFormatException(source + ": " + where + ": expected a sub-element tag at offset " + pos
                    + ", found only " + Math.max(0, end - pos) + " bytes");
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(order);
        int first = bb.getInt(pos);
        Sub s = new Sub();
        if ((first >>> 16) != 0) {
            // Small data element: 2 bytes size, 2 bytes type, up to 4 bytes of data, 8 bytes in total.
            s.type = first & 0xffff;
            s.nbytes = first >>> 16;
            if (s.nbytes > 4) {
                throw new DatasetFormatException(source + ": " + where + ": small data element at offset " + pos
                        + " declares " + s.nbytes + " bytes, at most 4 allowed");
            }
            s.dataOff = pos + 4;
            s.next = pos + 8;
        } else {
            s.type = first;
            long nb = bb.getInt(pos + 4) & 0xffffffffL;
            if (nb > end - pos - 8L) {
                throw new DatasetFormatException(source + ": " + where + ": sub-element at offset " + pos + " declares "
                        + nb + " bytes, but only " + (end - pos - 8L) + " remain");
            }
            s.nbytes = (int) nb;
            s.dataOff = pos + 8;
            s.next = (int) Math.min(end, pos + 8 + ((nb + 7) & ~7L));
        }
        return s;
    }

    private static void parseMatrix(byte[] b, int pos, int end, ByteOrder order, String source, Set<String> names,
                                    Map<String, MatArray> out, String where) throws DatasetFormatException {
        ByteBuffer bb = ByteBuffer.wrap(b).order(order);
        if (end - pos < 8 || bb.getInt(pos) != MI_MATRIX) {
            throw new DatasetFormatException(source + ": " + where + ": expected a miMATRIX element, found "
                    + (end - pos < 8 ? "fewer than 8 bytes" : "data type " + bb.getInt(pos)));
        }
        long nbytes = bb.getInt(pos + 4) & 0xffffffffL;
        if (nbytes > end - pos - 8L) {
            throw new DatasetFormatException(source + ": " + where + ": matrix declares " + nbytes + " bytes, found "
                    + (end - pos - 8L));
        }
        end = (int) (pos + 8 + nbytes);
        if (nbytes == 0) {
            return; // an empty placeholder element
        }
        Sub flags = sub(b, pos + 8, end, order, source, where);
        if (flags.type != MI_UINT32 || flags.nbytes != 8) {
            throw new DatasetFormatException(source + ": " + where + ": expected array flags (miUINT32, 8 bytes),"
                    + " found type " + flags.type + " with " + flags.nbytes + " bytes");
        }
        int flagWord = bb.getInt(flags.dataOff);
        int mxClass = flagWord & 0xff;
        boolean complex = (flagWord & 0x0800) != 0;
        Sub dimsEl = sub(b, flags.next, end, order, source, where);
        if (dimsEl.type != MI_INT32 || dimsEl.nbytes < 8 || dimsEl.nbytes % 4 != 0) {
            throw new DatasetFormatException(source + ": " + where + ": expected dimensions (miINT32, >= 2 values),"
                    + " found type " + dimsEl.type + " with " + dimsEl.nbytes + " bytes");
        }
        int[] dims = new int[dimsEl.nbytes / 4];
        long numel = 1;
        for (int i = 0; i < dims.length; i++) {
            dims[i] = bb.getInt(dimsEl.dataOff + 4 * i);
            if (dims[i] < 0) {
                throw new DatasetFormatException(source + ": " + where + ": negative dimension " + dims[i]);
            }
            numel *= dims[i];
            if (numel > DataFiles.MAX_BYTES) {
                throw new DatasetFormatException(source + ": " + where + ": dimensions " + Arrays.toString(dims)
                        + " are too large");
            }
        }
        Sub nameEl = sub(b, dimsEl.next, end, order, source, where);
        if (nameEl.type != MI_INT8 && nameEl.type != MI_UINT8) {
            throw new DatasetFormatException(source + ": " + where + ": expected the array name (miINT8), found type "
                    + nameEl.type);
        }
        String name = new String(b, nameEl.dataOff, nameEl.nbytes, StandardCharsets.US_ASCII);
        if (!names.contains(name)) {
            return;
        }
        String var = "variable '" + name + "'";
        if (mxClass < 6 || mxClass > 15) {
            throw new DatasetFormatException(source + ": " + var + ": expected a numeric array (class 6..15), found"
                    + " MATLAB class " + mxClass + " (cell, struct, object, char or sparse are not supported)");
        }
        if (complex) {
            throw new DatasetFormatException(source + ": " + var + ": complex arrays are not supported");
        }
        Sub real = sub(b, nameEl.next, end, order, source, where);
        int size = typeSize(real.type);
        if (size == 0) {
            throw new DatasetFormatException(source + ": " + var + ": unsupported numeric data type " + real.type);
        }
        if ((long) real.nbytes != numel * size) {
            throw new DatasetFormatException(source + ": " + var + ": expected " + numel * size + " bytes for "
                    + Arrays.toString(dims) + " elements of type " + real.type + ", found " + real.nbytes);
        }
        out.put(name, new MatArray(name, dims, mxClass, real.type, b, real.dataOff, (int) numel, order));
    }

    /** Bytes per element of a numeric MAT data type, 0 for non-numeric types. */
    static int typeSize(int type) {
        switch (type) {
            case MI_INT8:
            case MI_UINT8:
                return 1;
            case MI_INT16:
            case MI_UINT16:
                return 2;
            case MI_INT32:
            case MI_UINT32:
            case MI_SINGLE:
                return 4;
            case MI_DOUBLE:
            case MI_INT64:
            case MI_UINT64:
                return 8;
            default:
                return 0;
        }
    }
}
