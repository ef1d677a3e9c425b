package dev.infopro.dl4j.data;

import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A real numeric array read from a MATLAB v5 {@code .mat} file: its name, dimensions, MATLAB class and the stored
 * elements in MATLAB's column-major order (the first index varies fastest). The storage type may be narrower than
 * the class (MATLAB stores a double array of small integers as uint8, for instance); accessors convert.
 */
public final class MatArray {
    private final String name;
    private final int[] dims;
    private final int mxClass;
    private final int dataType;
    private final byte[] data;
    private final int offset;
    private final int count;
    private final ByteOrder order;

    MatArray(String name, int[] dims, int mxClass, int dataType, byte[] data, int offset, int count,
             ByteOrder order) {
        this.name = name;
        this.dims = dims;
        this.mxClass = mxClass;
        this.dataType = dataType;
        this.data = data;
        this.offset = offset;
        this.count = count;
        this.order = order;
    }

    /** @return the variable name */
    public String name() {
        return name;
    }

    /** @return a copy of the dimensions, e.g. {@code [32, 32, 3, N]} */
    public int[] dims() {
        return dims.clone();
    }

    /** @return the MATLAB class code (6 = double, 9 = uint8, ...) */
    public int mxClass() {
        return mxClass;
    }

    /** @return the storage data type code (2 = miUINT8, 9 = miDOUBLE, ...) */
    public int dataType() {
        return dataType;
    }

    /** @return the number of elements (product of the dimensions) */
    public int numel() {
        return count;
    }

    /**
     * @param i column-major element index
     * @return the element as a double
     */
    public double getDouble(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("element " + i + " of " + count + " in " + name);
        }
        int size = MatV5Reader.typeSize(dataType);
        int p = offset + i * size;
        switch (dataType) {
            case MatV5Reader.MI_INT8:
                return data[p];
            case MatV5Reader.MI_UINT8:
                return data[p] & 0xff;
            case MatV5Reader.MI_INT16:
                return (short) read(p, 2);
            case MatV5Reader.MI_UINT16:
                return read(p, 2) & 0xffff;
            case MatV5Reader.MI_INT32:
                return (int) read(p, 4);
            case MatV5Reader.MI_UINT32:
                return read(p, 4) & 0xffffffffL;
            case MatV5Reader.MI_INT64:
                return read(p, 8);
            case MatV5Reader.MI_UINT64:
                long v = read(p, 8);
                return v >= 0 ? v : (double) (v >>> 1) * 2.0;
            case MatV5Reader.MI_SINGLE:
                return Float.intBitsToFloat((int) read(p, 4));
            case MatV5Reader.MI_DOUBLE:
                return Double.longBitsToDouble(read(p, 8));
            default:
                throw new IllegalStateException("unsupported data type " + dataType);
        }
    }

    /**
     * Returns the elements as unsigned bytes in column-major order.
     *
     * @param source file name for messages
     * @return a new array of {@link #numel()} bytes
     * @throws DatasetFormatException if an element is not an integer in 0..255
     */
    public byte[] toUint8(String source) throws DatasetFormatException {
        if (dataType == MatV5Reader.MI_UINT8) {
            return Arrays.copyOfRange(data, offset, offset + count);
        }
        byte[] out = new byte[count];
        for (int i = 0; i < count; i++) {
            double v = getDouble(i);
            if (!(v >= 0 && v <= 255 && v == Math.rint(v))) {
                throw new DatasetFormatException(source + ": variable " + name + ": expected uint8 values, found "
                        + v + " at element " + i);
            }
            out[i] = (byte) (int) v;
        }
        return out;
    }

    private long read(int p, int n) {
        long v = 0;
        if (order == ByteOrder.LITTLE_ENDIAN) {
            for (int k = n - 1; k >= 0; k--) {
                v = (v << 8) | (data[p + k] & 0xff);
            }
        } else {
            for (int k = 0; k < n; k++) {
                v = (v << 8) | (data[p + k] & 0xff);
            }
        }
        return v;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(dims) + " class " + mxClass;
    }
}
