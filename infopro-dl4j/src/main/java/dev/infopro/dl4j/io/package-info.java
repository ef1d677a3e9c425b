/**
 * File primitives the library's writers share: {@link dev.infopro.dl4j.io.AtomicFiles} writes a file so that a
 * crash leaves either the complete new file or the old one. Depends on nothing else in the library.
 */
package dev.infopro.dl4j.io;
