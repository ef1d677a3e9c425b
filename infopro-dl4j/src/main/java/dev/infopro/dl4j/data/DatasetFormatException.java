package dev.infopro.dl4j.data;

import java.io.IOException;

/**
 * A dataset file is missing, truncated, corrupt or in an unsupported format. The message always names the file and
 * says what was expected versus what was found.
 */
public class DatasetFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, naming the file
     */
    public DatasetFormatException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong, naming the file
     * @param cause   the low-level failure (e.g. a zlib error)
     */
    public DatasetFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
