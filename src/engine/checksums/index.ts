/** S3 checksums: the ten streaming algorithms (CRC32 … XXHASH128) and multipart combination. */
export { crc32c } from './crc32c.js';
export {
  CRC64_INIT,
  crc64nvme,
  crc64nvmeUpdate,
  crc64ToBytes,
  type Crc64State,
} from './crc64nvme.js';
export {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_BYTES,
  checksumBase64,
  checksumBytes,
  createChecksum,
  isChecksumAlgorithm,
  isValidChecksumValue,
  type IncrementalChecksum,
} from './hasher.js';
export {
  combineCrc,
  combineCrcs,
  compositeChecksum,
  isCrcAlgorithm,
  type CrcAlgorithm,
} from './combine.js';
export { loadXxhash } from './xxhash.js';
